namespace Drover.Server.Admin;

/// <summary>When this server started, for its uptime in <c>GET /api/admin/info</c>.</summary>
internal sealed record ServerStart(DateTimeOffset At);
