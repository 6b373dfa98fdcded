using System.Text;
using Drover.Model;

namespace Drover.Server.Recruiting;

/// <summary>A job's log: what it did and what its commands printed, kept up to a cap (the rest counted).</summary>
public sealed class JobLog
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _text = new();
    private long _dropped;
    private bool _closed;

    public void Line(string line)
    {
        lock (_gate)
        {
            if (_closed) return;
            if (_text.Length + line.Length + 1 > JobRecord.MaxLogChars)
            {
                _dropped += line.Length + 1;
                return;
            }
            _text.Append(line).Append('\n');
        }
    }

    /// <summary>Stops taking lines: what a worker prints once its deploy job has ended is its own log's business.</summary>
    public void Close()
    {
        lock (_gate) _closed = true;
    }

    public override string ToString()
    {
        lock (_gate) return _dropped == 0 ? _text.ToString() : $"{_text}[{_dropped} more characters not kept]\n";
    }
}
