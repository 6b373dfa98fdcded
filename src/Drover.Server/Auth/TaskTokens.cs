namespace Drover.Server.Auth;

/// <summary>
/// <c>DROVER_TASK_TOKEN</c>: a token a running task uses to set its own status and progress, and
/// nothing else. It names the execution and carries an HMAC of it keyed from the admin token, so any
/// server that shares the tokens can check it; it is good only while that execution is the task's
/// current one (the status endpoint checks).
/// </summary>
public sealed class TaskTokens(TokenFiles tokens)
{
    private const string Prefix = "t1.";
    private readonly TokenSigner _signer = new("drover-task-token", tokens.AdminToken);

    public string For(Guid executionId) => $"{Prefix}{executionId:N}.{_signer.Sign(executionId.ToByteArray())}";

    public static bool LooksLikeOne(string token) => token.StartsWith(Prefix, StringComparison.Ordinal);

    /// <returns>The execution the token was made for, or null when it is not a genuine task token.</returns>
    public Guid? Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || !Guid.TryParseExact(parts[1], "N", out var execution)) return null;
        return _signer.IsSignature(execution.ToByteArray(), parts[2]) ? execution : null;
    }
}
