// The scheduler core: streams, timing, issue order and stealing over per-queue state.
#include "engine/scheduler.hpp"

#include <algorithm>

namespace pto::wsp::engine {
namespace {

constexpr std::int64_t kRateWindowNs = 1'000'000;  // rate_limit(r): r starts per millisecond

// std::push_heap builds a max-heap: "less" means "starts later".
bool starts_later(const auto& a, const auto& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  return a.id > b.id;
}

}  // namespace

Scheduler::Scheduler(Engine& engine, const Schedule& schedule, int workers)
    : engine_(engine),
      timing_(schedule.timing_policy().kind),
      n_(schedule.timing_policy().n),
      has_streams_(schedule.num_streams() > 0),
      steal_(schedule.dispatch_policy().kind == DispatchPolicy::Kind::WorkSteal) {
  if (timing_ == TimingPolicy::Kind::Interleaved) {
    order_ = Order::Interleaved;
  } else if (schedule.issue_policy().priority) {
    order_ = Order::Heap;
  } else {  // stream heads, like plain tasks, start in the order they became startable
    order_ = Order::Fifo;
  }
  plain_ =
      order_ == Order::Fifo && timing_ == TimingPolicy::Kind::Immediate && !has_streams_ && !steal_;
  const int nq = schedule.num_queues();
  queues_.resize(static_cast<std::size_t>(nq));
  for (Queue& q : queues_) q.streams.resize(static_cast<std::size_t>(schedule.num_streams()));
  worker_queues_.resize(static_cast<std::size_t>(workers));
  queue_workers_.resize(static_cast<std::size_t>(nq));
  worker_rotation_.assign(static_cast<std::size_t>(workers), 0);
  // Several queues share a worker when there are more queues; several workers share a queue
  // when there are more workers.
  if (nq >= workers) {
    for (int q = 0; q < nq; ++q) {
      worker_queues_[static_cast<std::size_t>(q % workers)].push_back(q);
      queue_workers_[static_cast<std::size_t>(q)].push_back(q % workers);
    }
  } else {
    for (int w = 0; w < workers; ++w) {
      worker_queues_[static_cast<std::size_t>(w)].push_back(w % nq);
      queue_workers_[static_cast<std::size_t>(w % nq)].push_back(w);
    }
  }
  small_ = nq <= 64 && workers <= 64;
  identity_ = small_ && nq == workers && !steal_;
  all_workers_ = workers >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << workers) - 1;
  worker_queue_mask_.assign(static_cast<std::size_t>(workers), 0);
  queue_worker_mask_.assign(static_cast<std::size_t>(nq), 0);
  for (int q = 0; q < nq && small_; ++q) {
    queues_[static_cast<std::size_t>(q)].bit = std::uint64_t{1} << q;
    for (int w : queue_workers_[static_cast<std::size_t>(q)]) {
      worker_queue_mask_[static_cast<std::size_t>(w)] |= std::uint64_t{1} << q;
      queue_worker_mask_[static_cast<std::size_t>(q)] |= std::uint64_t{1} << w;
    }
  }
  if (timing_ == TimingPolicy::Kind::RateLimit) {
    rate_ring_.assign(static_cast<std::size_t>(std::min<std::int64_t>(n_, 1024)), 0);
  }
}

void Scheduler::start() {
  for (Queue& q : queues_) {
    for (Lane& lane : q.lanes) {  // keep the buffers' capacity for the next execution
      lane.fifo.clear();
      lane.heap.clear();
      lane.released.clear();
      lane.startable = 0;
      lane.rotation = 0;
    }
    for (Stream& s : q.streams) s = Stream{};
    q.pickable = 0;
    q.issue_seq = 0;
    q.issue_group = 0;
  }
  std::fill(worker_rotation_.begin(), worker_rotation_.end(), 0);
  queued_ = released_total_ = stolen_ = 0;
  pickable_queues_ = 0;
  pickable_tasks_ = {};
  pickable_units_ = 0;
  startable_counter_ = 0;
  rate_head_ = rate_count_ = 0;
}

void Scheduler::make_startable(Queue& q, std::uint32_t slot) {
  TaskRecord& t = engine_.task(slot);
  t.startable_seq = startable_counter_++;
  Lane& lane = q.lanes[t.unit];
  switch (order_) {
    case Order::Fifo:
      lane.fifo.push_back(slot);
      break;
    case Order::Heap:
      lane.heap.push_back(HeapEntry{t.priority, t.id, slot});
      std::push_heap(lane.heap.begin(), lane.heap.end(),
                     [](const HeapEntry& a, const HeapEntry& b) { return starts_later(a, b); });
      break;
    case Order::Interleaved:
      q.streams[static_cast<std::size_t>(t.stream)].head = slot;
      break;
  }
  ++lane.startable;
  add_pickable(q, t.unit);
}

std::uint32_t Scheduler::take_startable(Queue& q, int unit) {
  Lane& lane = q.lanes[static_cast<std::size_t>(unit)];
  std::uint32_t slot = kNone;
  switch (order_) {
    case Order::Fifo:
      slot = lane.fifo.front();
      lane.fifo.pop_front();
      break;
    case Order::Heap:
      std::pop_heap(lane.heap.begin(), lane.heap.end(),
                    [](const HeapEntry& a, const HeapEntry& b) { return starts_later(a, b); });
      slot = lane.heap.back().slot;
      lane.heap.pop_back();
      break;
    case Order::Interleaved: {
      const int n = static_cast<int>(q.streams.size());
      for (int i = 0; i < n; ++i) {
        const int s = (lane.rotation + i) % n;
        Stream& st = q.streams[static_cast<std::size_t>(s)];
        // Skip streams with nothing to start (or whose head needs another kind of core).
        if (st.head == kNone || engine_.task(st.head).unit != unit) continue;
        slot = st.head;
        st.head = kNone;
        lane.rotation = (s + 1) % n;
        break;
      }
      break;
    }
  }
  --lane.startable;
  remove_pickable(q, unit);
  return slot;
}

int Scheduler::push_policy(std::uint32_t slot) {
  TaskRecord& t = engine_.task(slot);
  Queue& q = queues_[static_cast<std::size_t>(t.home_queue)];
  ++queued_;
  if (has_streams_) {
    Stream& st = q.streams[static_cast<std::size_t>(t.stream)];
    if (st.busy || t.stream_seq != st.next_seq) {
      // Tasks of a stream mostly become ready in issue order: insert from the back.
      auto it = st.waiting.end();
      while (it != st.waiting.begin() && std::prev(it)->seq > t.stream_seq) --it;
      st.waiting.insert(it, SeqEntry{t.stream_seq, slot});
      return t.home_queue;
    }
  }
  make_startable(q, slot);
  return t.home_queue;
}

std::uint32_t Scheduler::pick_from(int queue, int unit, std::int64_t now) {
  Queue& q = queues_[static_cast<std::size_t>(queue)];
  Lane& lane = q.lanes[static_cast<std::size_t>(unit)];
  if (timing_ == TimingPolicy::Kind::Batched) {
    if (lane.released.empty()) {
      if (lane.startable < n_) return kNone;
      const std::int64_t group = q.issue_group++;
      for (std::int64_t k = 0; k < n_; ++k) {
        const std::uint32_t s = take_startable(q, unit);
        release(q, queue, s, now, group);
        lane.released.push_back(s);
        add_pickable(q, unit);
      }
      released_total_ += n_;
    }
    const std::uint32_t s = lane.released.front();
    lane.released.pop_front();
    remove_pickable(q, unit);
    --released_total_;
    return s;
  }
  if (lane.startable == 0) return kNone;
  const std::uint32_t s = take_startable(q, unit);
  release(q, queue, s, now, q.issue_group++);
  return s;
}

Scheduler::Pick Scheduler::pick_policy(int worker, std::int64_t now, unsigned unit_mask) {
  const std::vector<int>& mine = worker_queues_[static_cast<std::size_t>(worker)];

  const bool rate_blocked = timing_ == TimingPolicy::Kind::RateLimit &&
                            static_cast<std::int64_t>(rate_count_) == n_ &&
                            now - rate_ring_[rate_head_] < kRateWindowNs;
  const auto started = [&](std::uint32_t slot) {
    --queued_;
    if (timing_ == TimingPolicy::Kind::RateLimit) record_start(now);
    return Pick{slot, -1, &engine_.task(slot)};
  };
  const Pick wait{kNone, rate_blocked ? rate_ring_[rate_head_] + kRateWindowNs : -1};
  const auto wanted = [&](int unit) { return (unit_mask >> unit) & 1u; };

  int& rotation = worker_rotation_[static_cast<std::size_t>(worker)];
  const int n = static_cast<int>(mine.size());
  for (int i = 0; i < n; ++i) {
    const int queue = mine[static_cast<std::size_t>((rotation + i) % n)];
    Queue& q = queues_[static_cast<std::size_t>(queue)];
    // Both kinds of core free (sim): the lane whose next task goes first in the queue's issue
    // order (priority, or the order tasks became startable) is tried first.
    const int first = first_unit(q, unit_mask);
    for (int k = 0; k < kUnits; ++k) {
      const int unit = (first + k) % kUnits;
      if (!wanted(unit)) continue;
      if (rate_blocked) {
        if (q.lanes[static_cast<std::size_t>(unit)].startable > 0) return wait;
        continue;
      }
      const std::uint32_t s = pick_from(queue, unit, now);
      if (s != kNone) {
        rotation = (rotation + i + 1) % n;  // the next pick starts at the next queue: fairness
        return started(s);
      }
    }
  }
  if (!steal_) return Pick{};
  // An idle queue takes ready work from the busiest one.
  int victim = -1, victim_unit = 0;
  std::int64_t most = 0;
  for (int v = 0; v < num_queues(); ++v) {
    for (int unit = 0; unit < kUnits; ++unit) {
      const std::int64_t n_startable =
          queues_[static_cast<std::size_t>(v)].lanes[static_cast<std::size_t>(unit)].startable;
      if (wanted(unit) && n_startable > most) {
        most = n_startable;
        victim = v;
        victim_unit = unit;
      }
    }
  }
  if (victim < 0) return Pick{};
  if (rate_blocked) return wait;
  const std::uint32_t s = take_startable(queues_[static_cast<std::size_t>(victim)], victim_unit);
  const int thief = mine.front();
  Queue& tq = queues_[static_cast<std::size_t>(thief)];
  release(tq, thief, s, now, tq.issue_group++);
  ++stolen_;
  return started(s);
}

bool Scheduler::may_pick_by_lanes(int worker, unsigned unit_mask) const noexcept {
  const auto has = [&](int queue) {
    const Queue& q = queues_[static_cast<std::size_t>(queue)];
    for (int u = 0; u < kUnits; ++u) {
      const Lane& lane = q.lanes[static_cast<std::size_t>(u)];
      if (((unit_mask >> u) & 1u) && (lane.startable > 0 || !lane.released.empty())) return true;
    }
    return false;
  };
  if (steal_) {
    for (int q = 0; q < num_queues(); ++q) {
      if (has(q)) return true;
    }
    return false;
  }
  for (int q : worker_queues_[static_cast<std::size_t>(worker)]) {
    if (has(q)) return true;
  }
  return false;
}

int Scheduler::first_unit(const Queue& q, unsigned unit_mask) const {
  const Lane& v = q.lanes[0];
  const Lane& c = q.lanes[1];
  if ((unit_mask & 3u) != 3u || v.startable == 0 || c.startable == 0) return 0;
  switch (order_) {
    case Order::Fifo:
      return engine_.task(c.fifo.front()).startable_seq < engine_.task(v.fifo.front()).startable_seq
                 ? 1
                 : 0;
    case Order::Heap:
      return starts_later(v.heap.front(), c.heap.front()) ? 1 : 0;
    case Order::Interleaved:
      return 0;  // each lane rotates over the streams on its own
  }
  return 0;
}

void Scheduler::record_start(std::int64_t now) {
  // The ring holds the last min(r, starts) start times, oldest at rate_head_. It grows only when
  // that many starts happen, so a large r costs memory only if it is used.
  if (rate_count_ == rate_ring_.size() && static_cast<std::int64_t>(rate_count_) < n_) {
    std::vector<std::int64_t> grown(static_cast<std::size_t>(
        std::min<std::int64_t>(n_, 2 * static_cast<std::int64_t>(rate_count_))));
    for (std::size_t i = 0; i < rate_count_; ++i) {
      grown[i] = rate_ring_[(rate_head_ + i) % rate_ring_.size()];
    }
    rate_ring_.swap(grown);
    rate_head_ = 0;
  }
  if (rate_count_ < rate_ring_.size()) {
    rate_ring_[(rate_head_ + rate_count_) % rate_ring_.size()] = now;
    ++rate_count_;
  } else {  // overwrite the oldest
    rate_ring_[rate_head_] = now;
    rate_head_ = (rate_head_ + 1) % rate_ring_.size();
  }
}

int Scheduler::finish_in_stream(std::uint32_t slot) {
  TaskRecord& t = engine_.task(slot);
  Queue& q = queues_[static_cast<std::size_t>(t.home_queue)];
  Stream& st = q.streams[static_cast<std::size_t>(t.stream)];
  st.busy = false;
  if (st.waiting.empty() || st.waiting.front().seq != st.next_seq) return -1;
  const std::uint32_t next = st.waiting.front().slot;
  st.waiting.pop_front();
  make_startable(q, next);
  return t.home_queue;
}

bool Scheduler::flush(std::int64_t now) {
  // A lane that can release a full group is not stuck: its workers will, and what that runs may
  // fill the other lanes' groups.
  for (const Queue& q : queues_) {
    for (const Lane& lane : q.lanes) {
      if (lane.startable >= n_) return false;
    }
  }
  bool any = false;
  for (int queue = 0; queue < num_queues(); ++queue) {
    Queue& q = queues_[static_cast<std::size_t>(queue)];
    for (int unit = 0; unit < kUnits; ++unit) {
      Lane& lane = q.lanes[static_cast<std::size_t>(unit)];
      if (!lane.released.empty() || lane.startable == 0) continue;
      const std::int64_t group = q.issue_group++;
      while (lane.startable > 0) {
        const std::uint32_t s = take_startable(q, unit);
        release(q, queue, s, now, group);
        lane.released.push_back(s);
        add_pickable(q, unit);
        ++released_total_;
      }
      any = true;
    }
  }
  return any;
}

}  // namespace pto::wsp::engine
