using Drover.Dispatch;

namespace Drover.Core.Tests;

public sealed class ReadyQueueTests
{
    private static ReadyOrder Order(int priority, long seq) => new(priority, seq, Guid.NewGuid());

    private static List<ReadyOrder> Drain(ReadyQueue queue)
    {
        var taken = new List<ReadyOrder>();
        while (queue.TryPeek(out var first))
        {
            taken.Add(first);
            Assert.True(queue.Remove(first));
        }
        return taken;
    }

    [Fact]
    public void Tasks_come_out_highest_priority_first_then_oldest_whatever_the_order_they_went_in()
    {
        var queue = new ReadyQueue();
        ReadyOrder[] orders = [Order(0, 5), Order(2, 9), Order(0, 1), Order(2, 3), Order(-1, 0), Order(0, 3)];
        foreach (var order in orders) Assert.True(queue.Add(order));
        Assert.False(queue.Add(orders[0]));
        Assert.Equal(6, queue.Count);
        Assert.Equal(orders.Order(), Drain(queue));
        Assert.Equal(0, queue.Count);
        Assert.False(queue.TryPeek(out _));
    }

    [Fact]
    public void A_removed_task_never_comes_out_and_one_added_again_comes_out_once_in_its_new_place()
    {
        var queue = new ReadyQueue();
        var (a, b, c) = (Order(0, 1), Order(0, 2), Order(0, 3));
        foreach (var order in new[] { a, b, c }) queue.Add(order);
        Assert.True(queue.Remove(a));
        Assert.False(queue.Remove(a));
        // b's priority raised (an edit): removed, and added with its new order.
        Assert.True(queue.Remove(b));
        var raised = b with { Priority = 5 };
        Assert.False(queue.Remove(b));
        queue.Add(raised);
        // c taken out and put back unchanged (a batch paused and resumed).
        queue.Remove(c);
        queue.Add(c);
        Assert.Equal(2, queue.Count);
        Assert.Equal([raised, c], Drain(queue));
    }

    [Fact]
    public void Entries_of_tasks_removed_without_being_taken_do_not_pile_up()
    {
        // A paused batch's tasks leave the overall queue and come back, again and again, and no lease
        // takes them meanwhile: the heap is rebuilt of the live tasks once stale entries outnumber them.
        var queue = new ReadyQueue();
        var kept = Enumerable.Range(0, 100).Select(i => Order(0, i)).ToList();
        kept.ForEach(o => queue.Add(o));
        for (var round = 0; round < 50; round++)
        {
            foreach (var order in kept) queue.Remove(order);
            foreach (var order in kept) queue.Add(order);
        }
        Assert.Equal(100, queue.Count);
        Assert.True(queue.Entries <= 2 * 100 + 64 + 100, $"{queue.Entries} heap entries for 100 tasks");
        Assert.Equal(kept, Drain(queue));
    }

    [Fact]
    public void Random_adds_removals_and_leases_agree_with_a_sorted_set()
    {
        var random = new Random(17);
        var queue = new ReadyQueue();
        var model = new SortedSet<ReadyOrder>();
        var seq = 0L;
        for (var step = 0; step < 20_000; step++)
        {
            switch (random.Next(4))
            {
                case 0 or 1:
                    var added = Order(random.Next(3), random.Next(3) == 0 ? random.Next((int)seq + 1) : ++seq + 1_000_000);
                    if (model.Any(o => o.Seq == added.Seq)) break;
                    Assert.Equal(model.Add(added), queue.Add(added));
                    break;
                case 2 when model.Count > 0:
                    var removed = model.ElementAt(random.Next(model.Count));
                    model.Remove(removed);
                    Assert.True(queue.Remove(removed));
                    break;
                case 3:
                    Assert.Equal(model.Count > 0, queue.TryPeek(out var first));
                    if (model.Count == 0) break;
                    Assert.Equal(model.Min, first);
                    model.Remove(first);
                    queue.Remove(first);
                    break;
            }
            Assert.Equal(model.Count, queue.Count);
        }
        Assert.Equal(model.ToList(), Drain(queue));
    }
}
