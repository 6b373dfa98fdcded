using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Drover.Client;
using Drover.IntegrationTests.Infrastructure;
using Drover.Model;
using Drover.Server.Hosting;

namespace Drover.IntegrationTests;

/// <summary>HTTPS with a private certificate authority made here, a safe default bind, and the API description's exposure (issue 18).</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("drover-tls-").FullName;
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string CaPath => Path.Combine(_directory, "ca.pem");
    private string CertPath => Path.Combine(_directory, "server.pem");
    private string KeyPath => Path.Combine(_directory, "server.key");

    public ValueTask InitializeAsync()
    {
        // A CA, and a server certificate it signed for 127.0.0.1 and localhost: what a lab's private CA gives.
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Drover test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));

        File.WriteAllText(CaPath, ca.ExportCertificatePem());
        File.WriteAllText(CertPath, server.ExportCertificatePem());
        File.WriteAllText(KeyPath, serverKey.ExportPkcs8PrivateKeyPem());
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Up_serves_https_and_its_workers_the_cli_and_the_client_trust_the_private_ca()
    {
        var port = FreePort.Next();
        await using var up = DroverProcess.Start(
            ["up", "--port", port.ToString(CultureInfo.InvariantCulture), "--workers", "1", "--tls-cert", CertPath, "--tls-key", KeyPath, "--ca", CaPath],
            workingDirectory: _directory);
        var line = await up.WaitForLineAsync("server listening on", TimeSpan.FromSeconds(30));
        Assert.Contains($"https://127.0.0.1:{port}/", line);
        var url = $"https://127.0.0.1:{port}/";
        var token = File.ReadAllText(Path.Combine(_directory, "drover-data", "admin.token")).Trim();

        // The CLI with --ca: submitted, run by up's worker (which got --ca too), and waited for.
        var (code, output) = await DroverProcess.RunAsync(["submit", "--server", url, "--token", token, "--ca", CaPath, "--wait", "--", "echo", "over tls"]);
        Assert.True(code == 0, output);
        // Without it the server's certificate is not trusted: one line, no stack trace.
        (code, output) = await DroverProcess.RunAsync(["tasks", "--server", url, "--token", token]);
        Assert.NotEqual(0, code);
        Assert.Contains("--ca", output);
        Assert.DoesNotContain("   at ", output);

        // The .NET client, and its event stream over wss:// (following a task that ends after the follower is connected).
        using var client = new DroverClient(new Uri(url), token, DroverClientOptions.FailFast with { CaFile = CaPath });
        var slow = await client.CreateTaskAsync(Specs.Shell("sleep 1"), Token);
        using var within = CancellationTokenSource.CreateLinkedTokenSource(Token);
        within.CancelAfter(TimeSpan.FromSeconds(30));
        await foreach (var change in client.SubscribeAsync(new EventFollow { Tasks = [slow.Id] }, within.Token))
        {
            if (change is TasksChanged changed && changed.Tasks.Any(t => t.Id == slow.Id && t.Status == TaskState.Succeeded)) break;
        }
        Assert.Equal(TaskState.Succeeded, (await client.RunAsync(Specs.Command("echo", "client"), Token)).Status);
        // A task's own `drover status` reaches the server over HTTPS too: the worker hands its --ca down.
        var reported = await client.RunAsync(Specs.Shell($"dotnet {DroverProcess.DroverDll} status 'over tls' --progress 0.5"), Token);
        Assert.Equal((TaskState.Succeeded, "over tls"), (reported.Status, reported.StatusMessage));
        // Plain HTTP on that port is not served.
        using var http = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync($"http://127.0.0.1:{port}/health", Token));
    }

    [Fact]
    public async Task Listening_beyond_loopback_without_tls_is_refused_saying_why()
    {
        var (code, output) = await DroverProcess.RunAsync(["server", "--host", "0.0.0.0", "--port", "0", "--data", Path.Combine(_directory, "d")]);
        Assert.NotEqual(0, code);
        Assert.Contains("clear text", output);
        Assert.Contains("--insecure", output);
        Assert.DoesNotContain("   at ", output);

        // The rule, without opening a port to the network: TLS or --insecure lets it start; loopback always does.
        Assert.Throws<ArgumentException>(() => new DroverServerOptions { Host = "0.0.0.0" }.Validate());
        new DroverServerOptions { Host = "0.0.0.0", Insecure = true }.Validate();
        new DroverServerOptions { Host = "0.0.0.0", TlsCertificate = CertPath, TlsKey = KeyPath }.Validate();
        new DroverServerOptions { Host = "::1" }.Validate();
        new DroverServerOptions { Host = "localhost" }.Validate();
        Assert.Throws<ArgumentException>(() => new DroverServerOptions { TlsCertificate = CertPath }.Validate());
        Assert.Throws<ArgumentException>(() => new DroverServerOptions { TlsCertificate = CertPath, TlsKey = Path.Combine(_directory, "missing.key") }.Validate());
    }

    [Fact]
    public async Task With_public_docs_off_the_api_description_needs_a_token()
    {
        var port = FreePort.Next();
        await using var server = DroverProcess.Start(
            ["server", "--port", port.ToString(CultureInfo.InvariantCulture), "--data", Path.Combine(_directory, "docs"), "--public-docs", "off"]);
        await server.WaitForLineAsync("listening on", TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("openapi/v1.json", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("swagger/index.html", Token)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", File.ReadAllText(Path.Combine(_directory, "docs", "admin.token")).Trim());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("openapi/v1.json", Token)).StatusCode);
    }
}
