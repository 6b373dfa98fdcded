namespace Drover.Storage;

public enum DeleteOutcome
{
    Deleted,
    NotFound,
    NotEnded,
}
