using Drover.Model;

namespace Drover.Contracts;

public sealed record WaitResponse(IReadOnlyList<TaskRecord> Done, IReadOnlyList<Guid> Pending);
