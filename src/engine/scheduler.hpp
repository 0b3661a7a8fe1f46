// The scheduler core shared by every backend (DESIGN §4.7): per-queue state for streams, timing
// and issue order, and work stealing. It knows no clock and no thread: a backend passes `now`
// (wall or simulated ns) into each call and serialises the calls (the cpu backend holds its lock;
// the simulator is single-threaded).
//
// A ready task moves through its home queue as follows:
//   ready -> (stream gate: only a stream's next task in issue order, and only while the stream
//   has nothing released or running) -> startable -> (timing policy, issue order) -> released
//   -> started by a worker that serves the queue -> finished (frees its stream).
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <deque>
#include <vector>

#include "engine/engine.hpp"
#include "engine/ring_queue.hpp"
#include "pto/wsp/schedule/schedule.hpp"

namespace pto::wsp::engine {

class Scheduler {
 public:
  static constexpr int kUnits = 2;  ///< kinds of core: CoreKind::Vector, CoreKind::Cube
  static constexpr unsigned kAllUnits = (1u << kUnits) - 1;

  Scheduler(Engine& engine, const Schedule& schedule, int workers);

  /// Resets every queue for a new execution.
  void start();

  /// Task `slot` has no unfinished dependency. Returns its home queue (whose workers may now
  /// have something to start).
  int push(std::uint32_t slot) { return push(slot, engine_.task(slot)); }
  /// The same for a caller that holds the task's record (`t` is engine.task(slot)).
  int push(std::uint32_t slot, TaskRecord& t) {
    if (!plain_) return push_policy(slot);
    // The default schedule: append to the home queue's FIFO (inline: once per task).
    Queue& q = queues_[static_cast<std::size_t>(t.home_queue)];
    Lane& lane = q.lanes[t.unit];
    ++queued_;
    t.startable_seq = startable_counter_++;
    lane.fifo.push_back(slot);
    ++lane.startable;
    add_pickable(q, t.unit);
    return t.home_queue;
  }

  struct Pick {
    std::uint32_t slot = kNone;  ///< the task to start now, or kNone
    std::int64_t wake_at = -1;   ///< when nothing may start before then (rate limit), else -1
    TaskRecord* task = nullptr;  ///< the task's record (engine.task(slot)), when there is one
  };
  /// The task `worker` should start at `now`: released by its queues' timing policy (stamping
  /// the record's issue fields), or stolen under work_steal. Only tasks whose unit (the kind of
  /// core they need, TaskRecord::unit) is in `unit_mask` are considered. Always inline: once per
  /// task, and its callers' loops (the simulator's AICPU) are small.
  [[gnu::always_inline]] Pick pick(int worker, std::int64_t now, unsigned unit_mask = kAllUnits) {
    if (!plain_) return pick_policy(worker, now, unit_mask);
    // The default schedule: the first startable task of the worker's next queue, from the lane
    // of a wanted kind of core whose front became startable first (inline: once per task).
    if (identity_) return pick_plain(worker, now, unit_mask);  // its one queue
    const std::vector<int>& mine = worker_queues_[static_cast<std::size_t>(worker)];
    int& rotation = worker_rotation_[static_cast<std::size_t>(worker)];
    const int n = static_cast<int>(mine.size());
    for (int i = 0; i < n; ++i) {
      const int queue = mine[static_cast<std::size_t>(n == 1 ? 0 : (rotation + i) % n)];
      const Pick p = pick_plain(queue, now, unit_mask);
      if (p.slot == kNone) continue;
      if (n > 1) rotation = (rotation + i + 1) % n;
      return p;
    }
    return Pick{};
  }

  /// FIFO order and immediate timing: a worker may take several startable tasks at once without
  /// changing what any policy guarantees — starts are not paced, no newer task could have gone
  /// first, a stream's next task is not startable while one of it is taken, and a steal is a
  /// steal whenever it runs. (Priority, interleaving and the timing policies are about start
  /// instants: the second task of a batch starts later than it was picked.)
  bool batchable() const noexcept {
    return order_ == Order::Fifo && timing_ == TimingPolicy::Kind::Immediate;
  }

  /// Whether `pick(worker, now, unit_mask)` could find anything (a cheap test for callers that
  /// ask often, such as the simulator's AICPUs): a startable or released task of a wanted kind
  /// in one of the worker's queues, or in any queue under work_steal.
  bool may_pick(int worker, unsigned unit_mask) const noexcept {
    // One mask test when the mask leaves out no kind of core that some task needs (inline: the
    // simulator asks once or twice per task; the general case is out of line).
    if (small_ && (pickable_units_ & ~unit_mask) == 0) {
      return (pickable_queues_ & (steal_ ? ~std::uint64_t{0} : worker_queue_mask_[worker])) != 0;
    }
    return may_pick_by_lanes(worker, unit_mask);
  }

  /// The kinds of core (bit u for unit u) that some startable or released task needs, in any
  /// queue: a backend with no free core of these kinds has nothing to ask any worker.
  unsigned pickable_units() const noexcept { return pickable_units_; }

  /// At most 64 queues and 64 workers: then workers_that_may_pick() is exact.
  bool small() const noexcept { return small_; }
  /// The workers for which `may_pick(worker, kAllUnits)` holds, bit w for worker w (small()).
  std::uint64_t workers_that_may_pick() const noexcept {
    if (identity_) return pickable_queues_;
    if (pickable_queues_ == 0) return 0;
    if (steal_) return all_workers_;
    std::uint64_t m = 0;  // the workers of each queue that holds something
    for (std::uint64_t q = pickable_queues_; q != 0; q &= q - 1) {
      m |= queue_worker_mask_[static_cast<std::size_t>(std::countr_zero(q))];
    }
    return m;
  }

  /// Task `slot` finished. Returns the queue whose stream it freed when that made another task
  /// startable, else -1.
  int finish(std::uint32_t slot) {
    if (!has_streams_) return -1;  // inline: once per task, and nothing to do without streams
    return finish_in_stream(slot);
  }

  /// Under batched timing, releases every queue's partial group, unless some queue can release a
  /// full one. The backend calls it only when nothing else could make progress (nothing running
  /// or released, generation stalled): groups are full otherwise. True when it released any.
  bool flush(std::int64_t now);

  /// Pushed and not yet started (ready, startable or released).
  std::int64_t queued() const noexcept { return queued_; }
  /// Released by a timing policy and not yet started.
  std::int64_t released() const noexcept { return released_total_; }
  /// Released and not yet started in one queue (batched timing).
  std::int64_t released_in(int queue) const noexcept {
    std::int64_t n = 0;
    for (const Lane& lane : queues_[static_cast<std::size_t>(queue)].lanes) {
      n += static_cast<std::int64_t>(lane.released.size());
    }
    return n;
  }
  std::int64_t stolen() const noexcept { return stolen_; }
  bool batched() const noexcept { return timing_ == TimingPolicy::Kind::Batched; }
  /// FIFO order, immediate timing, no streams, no stealing: pick() finds a task exactly when
  /// may_pick() says it may, and never asks to be woken.
  bool plain() const noexcept { return plain_; }
  bool steals() const noexcept { return steal_; }
  int num_queues() const noexcept { return static_cast<int>(queues_.size()); }
  const std::vector<int>& queues_of(int worker) const {
    return worker_queues_[static_cast<std::size_t>(worker)];
  }
  const std::vector<int>& workers_of(int queue) const {
    return queue_workers_[static_cast<std::size_t>(queue)];
  }

 private:
  struct HeapEntry {
    std::int64_t priority;
    std::uint64_t id;
    std::uint32_t slot;
  };
  struct SeqEntry {
    std::uint64_t seq;
    std::uint32_t slot;
  };
  struct Stream {
    bool busy = false;             ///< a task of it is released or running
    std::uint64_t next_seq = 0;    ///< the next task to release, in issue order
    std::deque<SeqEntry> waiting;  ///< ready, behind the stream's head (sorted by seq)
    std::uint32_t head = kNone;    ///< interleaved: the stream's startable task
  };
  /// The startable tasks of one queue that need one kind of core.
  struct Lane {
    RingQueue fifo;               ///< in the order they became startable (no priority)
    std::vector<HeapEntry> heap;  ///< by (priority, id)
    RingQueue released;           ///< batched: released, not started
    std::int64_t startable = 0;
    int rotation = 0;  ///< interleaved: the stream to try first
  };
  struct Queue {
    std::array<Lane, kUnits> lanes;
    std::int64_t pickable = 0;  ///< startable or released tasks, over both lanes
    std::uint64_t bit = 0;      ///< its bit in pickable_queues_ (0 unless small_)
    std::vector<Stream> streams;
    std::int64_t issue_seq = 0;
    std::int64_t issue_group = 0;
  };
  enum class Order : std::uint8_t { Fifo, Heap, Interleaved };

  int push_policy(std::uint32_t slot);
  Pick pick_policy(int worker, std::int64_t now, unsigned unit_mask);
  void make_startable(Queue& q, std::uint32_t slot);
  std::uint32_t take_startable(Queue& q, int unit);
  // Stamps a task released by `queue` (and occupies its stream); inline for the fast path.
  // Returns its record.
  TaskRecord& release(Queue& q, int queue, std::uint32_t slot, std::int64_t now,
                      std::int64_t group) {
    TaskRecord& t = engine_.task(slot);
    t.queue = queue;
    t.issue_ns = now;
    t.issue_seq = q.issue_seq++;
    t.issue_group = group;
    if (has_streams_) {
      Stream& st = queues_[static_cast<std::size_t>(t.home_queue)]
                       .streams[static_cast<std::size_t>(t.stream)];
      st.busy = true;
      ++st.next_seq;
    }
    return t;
  }
  std::uint32_t pick_from(int queue, int unit, std::int64_t now);
  // pick() under the default schedule from one queue: its first startable task of a wanted kind
  // of core (the lane whose front became startable first), or none.
  [[gnu::always_inline]] Pick pick_plain(int queue, std::int64_t now, unsigned unit_mask) {
    Queue& q = queues_[static_cast<std::size_t>(queue)];
    const bool vector = (unit_mask & 1u) && q.lanes[0].startable > 0;
    const bool cube = (unit_mask & 2u) && q.lanes[1].startable > 0;
    if (!vector && !cube) return Pick{};
    const bool take_cube =
        cube && (!vector || engine_.task(q.lanes[1].fifo.front()).startable_seq <
                                engine_.task(q.lanes[0].fifo.front()).startable_seq);
    Lane& lane = q.lanes[take_cube ? 1 : 0];
    const std::uint32_t slot = lane.fifo.front();
    lane.fifo.pop_front();
    --lane.startable;
    remove_pickable(q, take_cube ? 1 : 0);
    --queued_;
    return Pick{slot, -1, &release(q, queue, slot, now, q.issue_group++)};
  }
  // Keep pickable_queues_ in step with each queue's count of startable or released tasks, and
  // pickable_units_ with the count of those that need each kind of core.
  void add_pickable(Queue& q, int unit) noexcept {
    if (q.pickable++ == 0) pickable_queues_ |= q.bit;
    ++pickable_tasks_[static_cast<std::size_t>(unit)];
    pickable_units_ |= 1u << unit;
  }
  void remove_pickable(Queue& q, int unit) noexcept {
    assert(q.pickable > 0);
    if (--q.pickable == 0) pickable_queues_ &= ~q.bit;
    // Branch-free: when queues run nearly empty the count reaches 0 about as often as not.
    const bool none = --pickable_tasks_[static_cast<std::size_t>(unit)] == 0;
    pickable_units_ &= ~(static_cast<unsigned>(none) << unit);
  }
  void record_start(std::int64_t now);
  int first_unit(const Queue& q, unsigned unit_mask) const;
  bool may_pick_by_lanes(int worker, unsigned unit_mask) const noexcept;
  int finish_in_stream(std::uint32_t slot);

  Engine& engine_;
  TimingPolicy::Kind timing_;
  std::int64_t n_;  ///< timing argument
  Order order_;
  bool has_streams_;
  bool steal_;
  /// FIFO order, immediate timing, no streams, no stealing: push and pick take the short path.
  bool plain_ = false;
  std::vector<Queue> queues_;
  std::vector<std::vector<int>> worker_queues_, queue_workers_;
  std::vector<int> worker_rotation_;
  /// At most 64 queues and workers: bit q of pickable_queues_ says queue q has a startable or
  /// released task, worker_queue_mask_[w] holds the bits of worker w's queues and
  /// queue_worker_mask_[q] those of queue q's workers.
  bool small_ = false;
  bool identity_ = false;  ///< small_, and worker w serves queue w alone and steals nothing
  std::uint64_t all_workers_ = 0;
  std::uint64_t pickable_queues_ = 0;
  std::array<std::int64_t, kUnits> pickable_tasks_{};  ///< startable or released, by unit
  unsigned pickable_units_ = 0;                        ///< bit u: pickable_tasks_[u] > 0
  std::vector<std::uint64_t> worker_queue_mask_, queue_worker_mask_;
  std::int64_t queued_ = 0;
  std::int64_t released_total_ = 0;
  std::int64_t stolen_ = 0;
  std::uint64_t startable_counter_ = 0;
  // rate_limit: the start times of the last n_ starts (fewer while fewer happened), oldest at
  // rate_head_.
  std::vector<std::int64_t> rate_ring_;
  std::size_t rate_head_ = 0, rate_count_ = 0;
};

}  // namespace pto::wsp::engine
