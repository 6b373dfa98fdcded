using Drover.Postgres;
using Drover.Server.Auth;
using Drover.Server.Dispatch;
using Drover.Sqlite;
using Drover.Storage;
using Drover.Storage.Memory;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;

namespace Drover.Server.Hosting;

public static class ServiceCollectionExtensions
{
    /// <summary>The server's services: the chosen task store, auth, dispatch and the lease reaper.</summary>
    public static IServiceCollection AddDroverServer(this IServiceCollection services, DroverServerOptions options)
    {
        options.Validate();
        services.AddSingleton(options);
        services.AddSingleton(options.StoreOptions);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<StoreSignals>();
        services.AddSingleton<TaskEvents>();
        if (options.Store == "memory") services.AddMemoryTaskStore();
        else if (options.Store == "none") services.AddMemoryTaskStore(new MemoryStoreOptions { KeepHistory = false });
        else if (options.Store == "postgres") services.AddPostgresTaskStore(new PostgresStoreOptions { ConnectionString = options.Postgres! });
        else
        {
            // Before the database is opened: a second server on it would run every task again.
            services.AddSingleton(DataDirectoryLock.Acquire(options.DataDirectory));
            services.AddSqliteTaskStore(new SqliteStoreOptions
            {
                Path = Path.Combine(options.DataDirectory, "drover.db"),
                SyncToDisk = options.SyncToDisk,
            });
        }

        services.AddSingleton(TokenFiles.LoadOrCreate(options.DataDirectory));
        services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.AdminPolicy, p => p.RequireRole(Roles.Admin))
            .AddPolicy(Roles.SubmitPolicy, p => p.RequireRole(Roles.Admin, Roles.Submit))
            .AddPolicy(Roles.ReadPolicy, p => p.RequireRole(Roles.Admin, Roles.Submit, Roles.Read))
            .AddPolicy(Roles.TaskReadPolicy, p => p.RequireRole(Roles.Admin, Roles.Submit, Roles.Read, Roles.Task))
            .AddPolicy(Roles.WorkerPolicy, p => p.RequireRole(Roles.Admin, Roles.Worker))
            .AddPolicy(Roles.StatusPolicy, p => p.RequireRole(Roles.Admin, Roles.Task));
        services.AddSingleton<TaskTokens>();
        services.AddSingleton<DeploymentTokens>();
        services.AddSingleton<NamedTokens>();
        services.AddSingleton<AuthFailures>();
        services.AddSingleton<DashboardSessions>();

        services.AddSingleton<LeaseLongPoll>();
        services.AddSingleton<Datasets.DatasetCatalogue>();
        services.AddSingleton<Datasets.GroupByRunner>();
        services.AddSingleton<Datasets.DistributionTickets>();
        services.AddSingleton(new Admin.ServerStart(DateTimeOffset.UtcNow));
        services.AddSingleton<Admin.WorkerOrders>();
        services.AddSingleton<TaskWaiter>();
        services.AddSingleton<Overview.BatchCounts>();
        services.AddSingleton<Join>();
        services.AddHostedService<LeaseReaper>();
        services.AddHostedService<Retention>();
        // Every backend keeps recruiters and jobs beside the tasks: the store is the recruitment store too.
        services.AddSingleton(sp => (IRecruitmentStore)sp.GetRequiredService<ITaskStore>());
        services.AddSingleton(sp => (IAccessStore)sp.GetRequiredService<ITaskStore>());
        services.AddSingleton(sp => (IScheduleStore)sp.GetRequiredService<ITaskStore>());
        services.AddSingleton<Scheduling.Scheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<Scheduling.Scheduler>());
        services.AddHostedService<Scheduling.DelayedTasks>();
        services.AddSingleton(new Recruiting.ProviderRegistry(options));
        services.AddSingleton<ServerAddress>();
        services.AddSingleton<Recruiting.Recruitment>();
        services.AddHostedService(sp => sp.GetRequiredService<Recruiting.Recruitment>());
        return services;
    }

    public static IServiceCollection AddMemoryTaskStore(this IServiceCollection services, MemoryStoreOptions? memory = null)
    {
        services.AddSingleton(memory ?? new MemoryStoreOptions());
        services.AddSingleton<ITaskStore, MemoryTaskStore>();
        return services;
    }

    public static IServiceCollection AddPostgresTaskStore(this IServiceCollection services, PostgresStoreOptions postgres)
    {
        services.AddSingleton(postgres);
        services.AddSingleton<ITaskStore, PostgresTaskStore>();
        return services;
    }

    public static IServiceCollection AddSqliteTaskStore(this IServiceCollection services, SqliteStoreOptions sqlite)
    {
        services.AddSingleton(sqlite);
        services.AddSingleton<ITaskStore, SqliteTaskStore>();
        return services;
    }
}
