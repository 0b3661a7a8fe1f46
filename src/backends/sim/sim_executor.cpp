// The sim backend. A discrete-event simulation over integer nanoseconds of simulated time:
//
//   host     generates and tracks tasks one after another (host_task_ns each; the engine's
//            generator and dependency tracker, as on cpu); a task reaches its AICPU
//            host_to_aicpu_ns after it was generated.
//   AICPU a  is scheduler worker a of the shared scheduler core: when it is free and a core it
//            may use is free, it asks the core for a task (Scheduler::pick with the kinds of core
//            it has free), spends aicpu_dispatch_ns issuing it, and the task starts on the lowest
//            free core of its kind aicpu_to_core_ns later. A finished task is noticed
//            completion_poll_ns after it ends and retired by the AICPU that issued it
//            (aicpu_complete_ns), which releases its dependants and frees its window slot.
//   cores    run one task at a time for the task's cost (its kernel's cost function, or the
//            machine's measured cost for the kernel), plus a cold start when configured.
//
// Events at one instant are processed in the order they were scheduled, so a run is a pure
// function of its inputs: the same program and values give a byte-identical trace.
#include "backends/sim/sim_executor.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "backends/sim/core_set.hpp"
#include "backends/sim/cost_model.hpp"
#include "backends/sim/event_queues.hpp"
#include "engine/dispatcher.hpp"
#include "engine/engine.hpp"
#include "engine/kernel_call.hpp"
#include "engine/ring_queue.hpp"
#include "engine/scheduler.hpp"
#include "engine/validation.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto::wsp::sim {
namespace {

using engine::Engine;
using engine::kNone;
using engine::TaskRecord;

constexpr int kHostBatch = 64;  // tasks the host generates per event (then yields to others)
constexpr std::int64_t kCostAtReady = -1;  // Flight::cost: a cost function, called at readiness

using CoreSetPair = std::array<CoreSet, 2>;  // by CoreKind

// By plan node: whether the simulation reads its tasks' views. Timing alone reads none, except
// through a cost function (which may look at them); --compute runs every kernel.
std::vector<std::uint8_t> views_read(const Plan& plan, const CostModel& costs, bool compute) {
  std::vector<std::uint8_t> read(plan.nodes.size(), 1);
  if (compute) return read;
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    read[i] =
        plan.nodes[i].kind == NodeKind::Task && !costs.costed_at_generation(static_cast<int>(i));
  }
  return read;
}

struct Event {
  enum Kind : std::uint8_t { Generate, Arrive, CoreDone, Retire, Complete, Dispatch };
  EventKey key;  ///< event_key(time, order of scheduling)
  Kind kind;
  std::uint32_t slot;
};
using Fifo = EventFifo;  // one kind of event, in time order

class SimExecutor final : public Executor {
 public:
  SimExecutor(Plan plan, Schedule schedule, CompileOptions options)
      : plan_(std::move(plan)),
        schedule_(std::move(schedule)),
        options_(std::move(options)),
        machine_(options_.machine.value_or(Machine::defaults())),
        costs_(plan_, machine_),
        dispatcher_(plan_, schedule_),
        engine_(plan_,
                engine::EngineOptions{options_.window.value_or(TaskWindow{}).size,
                                      options_.window.value_or(TaskWindow{}).mode, 1, &dispatcher_,
                                      /*single_thread=*/true, options_.record_tasks,
                                      views_read(plan_, costs_, options_.compute)}),
        scheduler_(engine_, schedule_, machine_.aicpus) {
    options_.window = options_.window.value_or(TaskWindow{});
    options_.machine = machine_;
    options_.threads = machine_.cube_cores + machine_.vector_cores;
    // Cores: cube 0..C-1, then vector; a group per AICPU when split, one group when shared.
    split_ = machine_.partition == "split";  // the one place the string is read
    aicpu_bits_ =
        machine_.aicpus >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << machine_.aicpus) - 1;
    hbm_shared_ = machine_.hbm_bytes_per_ns > 0 && costs_.moves_gm_bytes();
    core_gm_bytes_per_ns_ = machine_.tile_costs.gm_bytes_per_cycle * machine_.clock_ghz;
    const int groups = split_ ? machine_.aicpus : 1;
    free_.resize(static_cast<std::size_t>(groups));
    const int cores = machine_.cube_cores + machine_.vector_cores;
    std::vector<std::pair<CoreSet*, int>> places;  // each core's free set and position in it
    for (int c = 0; c < cores; ++c) {
      const CoreKind kind = c < machine_.cube_cores ? CoreKind::Cube : CoreKind::Vector;
      const int index = kind == CoreKind::Cube ? c : c - machine_.cube_cores;
      const int group = index % groups;
      CoreSet& set = free_[static_cast<std::size_t>(group)][static_cast<std::size_t>(kind)];
      places.emplace_back(&set, set.add(c));
      cores_.push_back(Core{kind, group});
    }
    for (std::size_t c = 0; c < cores_.size(); ++c) {  // every core added: the words stay put
      cores_[c].free_word = places[c].first->word_of(places[c].second);
      cores_[c].free_bit = CoreSet::bit_of(places[c].second);
    }
    aicpus_.resize(static_cast<std::size_t>(machine_.aicpus));
    for (int a = 0; a < machine_.aicpus; ++a) {
      aicpus_[static_cast<std::size_t>(a)].cores = &free_[split_ ? static_cast<std::size_t>(a) : 0];
    }
    start_extras_ = hbm_shared_ || options_.compute || !machine_.cold_start_axis.empty();
    if (!machine_.cold_start_axis.empty()) {
      for (const PlanNode& n : plan_.nodes) {
        const auto it =
            std::find(n.axis_names.begin(), n.axis_names.end(), machine_.cold_start_axis);
        cold_axis_.push_back(n.kind == NodeKind::Task && it != n.axis_names.end()
                                 ? static_cast<int>(it - n.axis_names.begin())
                                 : -1);
      }
    }
  }

  ~SimExecutor() override {
    abort_.store(true, std::memory_order_relaxed);  // a running simulation stops at its next event
    if (runner_.joinable()) runner_.join();
  }

  // Binding and prevalidation happen at once (their errors are raised here, nothing runs); the
  // simulation itself runs on its own thread, so execute() returns at once like on cpu.
  void execute(const Bindings& bindings) override {
    if (unsynchronized_) {
      throw ExecutionError("execute(): the previous execution has not been synchronized");
    }
    values_ = bind(plan_, bindings);  // throws on bad input: nothing runs
    if (options_.prevalidate) engine::prevalidate(plan_, values_, dispatcher_);
    error_ = nullptr;
    log_.clear();  // the log is the last synchronized execution's; the runner fills run_log_
    done_.store(false, std::memory_order_relaxed);
    try {
      runner_ = std::thread([this] {
        try {
          simulate();
        } catch (...) {
          error_ = std::current_exception();
        }
        done_.store(true, std::memory_order_release);
      });
    } catch (...) {
      done_.store(true, std::memory_order_relaxed);
      throw;
    }
    unsynchronized_ = true;
  }

  void synchronize() override {
    if (!unsynchronized_) return;
    if (runner_.joinable()) runner_.join();
    unsynchronized_ = false;
    log_.swap(run_log_);
    run_log_.clear();
    std::sort(log_.begin(), log_.end(),
              [](const TaskEvent& a, const TaskEvent& b) { return a.id < b.id; });
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

  bool is_complete() const override { return done_.load(std::memory_order_acquire); }

  ProgramStats stats() const override {
    ProgramStats s;
    s.backend = "sim";
    if (!done_.load(std::memory_order_acquire)) return s;  // still simulating
    s.tasks = tasks_;
    s.makespan_ns = last_end_;
    s.generation_ns = host_busy_ns_;
    s.validation_ns = 0;  // wall time would break determinism; sim stats are simulated only
    s.queues = scheduler_.num_queues();
    s.window_size = options_.window->size;
    s.window_stalls = stalls_;
    s.window_stall_ns = stall_ns_;
    s.window_high_water = high_water_;
    s.critical_path_ns = critical_path_;
    s.stolen = scheduler_.stolen();
    s.memory_wait_ns = memory_wait_ns_;
    for (const Aicpu& a : aicpus_) s.scheduling_ns += a.busy_ns;
    s.scheduling_ns_per_task =
        s.tasks > 0 ? static_cast<double>(s.scheduling_ns) / static_cast<double>(s.tasks) : 0.0;
    for (std::size_t c = 0; c < cores_.size(); ++c) {
      const Core& core = cores_[c];
      WorkerStats w;
      w.tasks = core.tasks;
      w.busy_ns = core.busy_ns;
      w.utilisation =
          last_end_ > 0 ? static_cast<double>(core.busy_ns) / static_cast<double>(last_end_) : 0;
      if (split_) {
        w.queues = scheduler_.queues_of(core.group);  // its AICPU's queues
      } else {
        for (int q = 0; q < scheduler_.num_queues(); ++q) w.queues.push_back(q);
      }
      const int index = core.kind == CoreKind::Cube ? static_cast<int>(c)
                                                    : static_cast<int>(c) - machine_.cube_cores;
      w.name = split_ ? fmt::format("AICPU {} {} {}", core.group, to_string(core.kind), index)
                      : fmt::format("{} {}", to_string(core.kind), index);
      w.group = split_ ? fmt::format("AICPU {}", core.group)
                       : fmt::format("{} cores", to_string(core.kind));
      s.idle_ns += last_end_ - core.busy_ns;
      s.workers.push_back(std::move(w));
    }
    s.kernels = engine::kernel_stats(plan_, node_totals_);
    return s;
  }

  const std::vector<TaskEvent>& task_log() const override { return log_; }
  const Plan& plan() const override { return plan_; }
  const Schedule& schedule() const override { return schedule_; }
  const CompileOptions& options() const override { return options_; }

 private:
  struct Core {
    CoreKind kind;
    int group;
    /// Its bit in its group's CoreSet of its kind: giving the core back is
    /// *free_word |= free_bit (CoreSet::give_back without the lookup).
    std::uint64_t* free_word = nullptr;
    std::uint64_t free_bit = 0;
    std::int64_t busy_ns = 0;
    std::int64_t tasks = 0;
    bool has_key = false;  ///< cold start: the axis value of the last task it ran
    std::int64_t key = 0;
  };
  struct Aicpu;
  // Per task slot, from generation to retirement: what the simulator keeps about a task, in one
  // record (a task touches one entry, not one per array).
  struct Flight {
    union {
      std::int64_t cost = 0;  ///< until it starts: ns on its core (kCostAtReady: not yet known)
      std::int64_t start;     ///< from its start: when it starts on its core
    };
    std::int64_t end = 0;
    int core = -1;
    Aicpu* aicpu = nullptr;  ///< the AICPU that issued it
  };
  struct Aicpu {
    std::int64_t free_at = 0;  ///< when it may next dispatch or retire
    std::int64_t busy_ns = 0;
    CoreSetPair* cores = nullptr;  ///< the free cores it may issue to (its group's)
  };

  // Where pending events wait: the heap (any order), or the FIFO of one kind of event.
  enum class Source : std::uint8_t { None, Heap, Arrivals, Retires, Completes, CoreEnds };

  void schedule_event(std::int64_t time, Event::Kind kind, std::uint32_t slot = kNone) {
    push_to_heap(Event{event_key(time, next_seq_++), kind, slot});
  }
  void push_to_heap(const Event& e) {
    events_.push(e);
    if (e.key < rare_key_) {
      rare_key_ = e.key;
      rare_source_ = Source::Heap;
    }
  }

  // Arrivals of freshly generated tasks come in time order (generation order plus a constant
  // latency), and so do completions noticed (a core's end plus the constant poll delay): FIFOs
  // keep them out of the heap.
  void schedule_arrival(std::int64_t time, std::uint32_t slot) {
    ++in_transit_;
    const EventKey key = event_key(time, next_seq_++);
    arrivals_.push(key, slot);
    if (key < rare_key_) {  // only when it is the FIFO's front
      rare_key_ = key;
      rare_source_ = Source::Arrivals;
    }
  }
  void schedule_retire(std::int64_t time, std::uint32_t slot) {
    retires_.push(event_key(time, next_seq_++), slot);
  }
  // Events that usually come in time order: an AICPU retires tasks one after another (and
  // across AICPUs retirements nearly keep time order), and tasks of one kernel cost about the
  // same, so cores finish in about the order they started. Each kind has a FIFO for the events
  // later than every one queued there; the rest go to the heap.
  void schedule_mostly_ordered(Fifo& q, std::int64_t time, Event::Kind kind, std::uint32_t slot) {
    const EventKey key = event_key(time, next_seq_++);
    if (q.empty() || !(key < q.last_key())) {
      q.push(key, slot);
    } else {
      push_to_heap(Event{key, kind, slot});
    }
  }

  // The earlier of the heap's and the arrivals' first events (rare_key_, rare_source_; None and
  // kNeverKey when both are empty), kept up to date as they change. On a DAG both are mostly
  // empty and change a few times per hundred events, while every event is followed by a search
  // for the earliest one: that search then reads one key for the two.
  void refresh_rare() noexcept {
    rare_key_ = events_.top_key();
    rare_source_ = rare_key_ == kNeverKey ? Source::None : Source::Heap;
    if (arrivals_.front_key() < rare_key_) {
      rare_key_ = arrivals_.front_key();
      rare_source_ = Source::Arrivals;
    }
  }

  // The source of the earliest event by (time, seq) — the order a single heap would give — and
  // that event's key (kNeverKey when there is none).
  Source earliest(EventKey& key) const {
    EventKey k = rare_key_;
    Source s = rare_source_;
    const auto consider = [&](const Fifo& q, Source source) {
      if (q.front_key() < k) {
        k = q.front_key();
        s = source;
      }
    };
    consider(retires_, Source::Retires);
    consider(completes_, Source::Completes);
    consider(core_ends_, Source::CoreEnds);
    key = k;
    return s;
  }
  // Removes and returns the earliest event of source `s` (its key is not needed). A FIFO holds
  // one kind of event: naming it here, not reading it back, lets the compiler go from the
  // test of the source straight to the kind's handler.
  Event take(Source s) {
    const auto from = [](Fifo& q, Event::Kind kind) { return Event{0, kind, q.take_front()}; };
    // The three FIFOs that take almost every event first, each one test.
    if (s == Source::CoreEnds) return from(core_ends_, Event::CoreDone);
    if (s == Source::Retires) return from(retires_, Event::Retire);
    if (s == Source::Completes) return from(completes_, Event::Complete);
    if (s == Source::Arrivals) {
      const Event e = from(arrivals_, Event::Arrive);
      refresh_rare();
      return e;
    }
    const Event e = events_.top();
    events_.pop();
    refresh_rare();
    return e;
  }

  void reset() {
    engine_.start(values_);
    scheduler_.start();
    events_.clear();
    arrivals_.clear();
    refresh_rare();
    retires_.clear();
    completes_.clear();
    core_ends_.clear();
    in_transit_ = 0;
    next_seq_ = 0;
    run_log_.clear();
    ready_.clear();  // a run that failed may have left tasks in it
    for (Core& c : cores_) {
      c.busy_ns = c.tasks = 0;
      c.has_key = false;
      c.key = 0;
    }
    node_totals_.assign(plan_.nodes.size(), engine::NodeTotals{});
    for (CoreSetPair& g : free_) {
      for (CoreSet& set : g) set.reset();
    }
    free_by_kind_ = {machine_.vector_cores, machine_.cube_cores};
    free_units_ = (machine_.vector_cores > 0 ? 1u : 0u) | (machine_.cube_cores > 0 ? 2u : 0u);
    for (Aicpu& a : aicpus_) {
      a.free_at = machine_.host_to_core_ns;
      a.busy_ns = 0;
    }
    host_free_ = host_busy_ns_ = 0;
    gen_done_ = window_full_ = generate_scheduled_ = false;
    tasks_ = outstanding_ = in_flight_ = high_water_ = 0;
    stalls_ = stall_ns_ = 0;
    stall_since_ = -1;
    critical_path_ = last_end_ = 0;
    hbm_free_ = 0;
    memory_wait_ns_ = 0;
    dispatch_rotation_ = 0;
    dispatch_pending_at_ = -1;
  }

  void simulate() {
    reset();
    schedule_event(0, Event::Generate);
    generate_scheduled_ = true;
    EventKey key = 0;
    Source s = earliest(key);
    while (s != Source::None) {
      if (abort_.load(std::memory_order_relaxed)) return;  // the executor is being destroyed
      // Everything that happens at one instant happens before the AICPUs decide: tasks that
      // become ready together are choices of one decision (priority, interleaving).
      now_ = event_time(key);
      do {
        process(take(s));
        s = earliest(key);
      } while (s != Source::None && event_time(key) == now_);
      // Most instants dispatch nothing (no free core or nothing queued): the earliest event is
      // then still the one found above. Dispatching only adds core ends and wake-ups (the
      // core-end FIFO or the heap), so only those two sources can now hold an earlier one.
      const std::uint64_t scheduled = next_seq_;
      try_dispatch();
      if (next_seq_ != scheduled) {
        if (core_ends_.front_key() < key) {
          key = core_ends_.front_key();
          s = Source::CoreEnds;
        }
        if (rare_key_ < key) {  // a wake-up, pushed onto the heap
          key = rare_key_;
          s = rare_source_;
        }
      }
    }
    if (!gen_done_ || outstanding_ != 0) {
      throw InternalError(
          fmt::format("sim: the event queue ran dry with {} tasks outstanding", outstanding_));
    }
  }

  void process(const Event& e) {
    switch (e.kind) {
      case Event::Generate:
        on_generate();
        break;
      case Event::Arrive:
        --in_transit_;
        make_ready(e.slot);
        break;
      case Event::CoreDone:
        on_core_done(e.slot);
        break;
      case Event::Retire:
        on_retire(e.slot);
        break;
      case Event::Complete:
        on_complete(e.slot);
        break;
      case Event::Dispatch:
        if (dispatch_pending_at_ == now_) dispatch_pending_at_ = -1;
        break;
    }
  }

  void on_generate() {
    generate_scheduled_ = false;
    if (stall_since_ >= 0) {
      stall_ns_ += now_ - stall_since_;
      stall_since_ = -1;
    }
    engine_.reclaim();
    std::int64_t h = std::max(now_, host_free_);
    const std::int64_t began = h;
    // The host spends host_task_ns on each task: the engine stamps each with its own time.
    const std::uint64_t committed_before = engine_.tasks_generated();
    engine::GenerateResult r;
    waiting_.clear();
    try {
      r = engine_.generate(kHostBatch, h, ready_, machine_.host_task_ns, &waiting_);
    } catch (...) {
      // A bad task (a view out of range without prevalidation, an ABORT window) ends the run:
      // the tasks committed before it still count in the stats.
      count_generated(static_cast<std::int64_t>(engine_.tasks_generated() - committed_before));
      ready_.clear();
      throw;
    }
    h += r.tasks * machine_.host_task_ns;
    count_generated(r.tasks);
    if (engine_.slots() > flights_.size()) {  // per-slot state covers every slot handed out
      flights_.resize(engine_.slots());
    }
    // Costs now, while the tasks' arguments are in cache: a task that becomes ready later (a
    // whole window later on a busy machine) then needs only its scheduling fields. A cost
    // function waits for readiness: it may read what the task's predecessors write.
    for (std::uint32_t s : waiting_) cost_at_generation(s, engine_.task(s));
    for (std::uint32_t s : ready_) {
      TaskRecord& t = engine_.task(s);
      cost_at_generation(s, t);
      schedule_arrival(t.gen_ns + machine_.host_to_aicpu_ns, s);
    }
    ready_.clear();
    if (r.exhausted) {
      gen_done_ = true;
    } else if (r.window_full) {
      window_full_ = true;
      ++stalls_;
      stall_since_ = h;
    }
    host_busy_ns_ += h - began;
    host_free_ = h;
    if (!gen_done_ && !window_full_) {
      schedule_event(h, Event::Generate);
      generate_scheduled_ = true;
    }
  }

  void count_generated(std::int64_t tasks) {
    tasks_ += tasks;
    outstanding_ += tasks;
    high_water_ = std::max(high_water_, outstanding_);
  }

  // A task whose dependencies are done becomes visible to its AICPU (not before it arrived).
  // Inline, once per task; a task still on its way or still to be costed takes the call.
  void make_ready(std::uint32_t slot) {
    TaskRecord& t = engine_.task(slot);
    if (now_ < t.gen_ns + machine_.host_to_aicpu_ns || flights_[slot].cost == kCostAtReady)
        [[unlikely]] {
      make_ready_late(slot, t);
      return;
    }
    t.ready_ns = now_;
    scheduler_.push(slot, t);
  }
  [[gnu::noinline]] void make_ready_late(std::uint32_t slot, TaskRecord& t) {
    const std::int64_t arrival = t.gen_ns + machine_.host_to_aicpu_ns;
    if (now_ < arrival) {
      ++in_transit_;
      schedule_event(arrival, Event::Arrive, slot);
      return;
    }
    set_cost(slot, t);
    t.ready_ns = now_;
    scheduler_.push(slot);
  }

  void cost_at_generation(std::uint32_t slot, TaskRecord& t) {
    if (costs_.costed_at_generation(t.payload.node)) {
      set_cost(slot, t);
    } else {
      flights_[slot].cost = kCostAtReady;
    }
  }

  void set_cost(std::uint32_t slot, TaskRecord& t) {
    const CostModel::Cost c = costs_.of(t);
    t.unit = static_cast<std::uint8_t>(c.core);
    flights_[slot].cost = c.ns;
    // The per-kernel stats, here where the payload is in cache: a task's time on its core is
    // this cost plus a cold start and an HBM wait, added at its start (which reads the payload
    // then anyway).
    engine::NodeTotals& node = node_totals_[static_cast<std::size_t>(t.payload.node)];
    ++node.tasks;
    node.busy_ns += c.ns;
  }

  // The kinds of core (bit u for CoreKind u) that some task waits for and some core is free for.
  unsigned usable_units() const noexcept { return free_units_ & scheduler_.pickable_units(); }
  // The same for AICPU a: the kinds free in its group.
  unsigned usable_units_of(int a) {
    if (!split_) return usable_units();
    unsigned mask = 0;
    for (int u = 0; u < engine::Scheduler::kUnits; ++u) {
      if ((*aicpus_[static_cast<std::size_t>(a)].cores)[static_cast<std::size_t>(u)].any()) {
        mask |= 1u << u;
      }
    }
    return mask & scheduler_.pickable_units();
  }

  void try_dispatch() {
    // The common steady states: nothing to start, or every core a waiting task needs is busy
    // (a core-bound machine, whose other kind of core may well idle).
    if (usable_units() == 0) return;
    const std::int64_t issued_before = in_flight_;
    const int n = machine_.aicpus;
    for (int pass = 0; pass < 2; ++pass) {
      // The AICPUs look in turn from dispatch_rotation_ on. One with nothing it may take on a
      // free core would neither issue nor ask to be woken, so only the others are visited.
      if (scheduler_.small()) {
        // Bit i of `ahead`: the AICPU i places after the first may take something. What one
        // AICPU issues can only leave the others less to take, so the set is read again after
        // each and the walk goes on past the last one visited.
        for (int next = 0; next < n && usable_units() != 0;) {
          const std::uint64_t ahead = rotate_right(scheduler_.workers_that_may_pick(),
                                                   dispatch_rotation_, n, aicpu_bits_) >>
                                      next;
          if (ahead == 0) break;
          const int i = next + std::countr_zero(ahead);
          look(dispatch_rotation_ + i < n ? dispatch_rotation_ + i : dispatch_rotation_ + i - n);
          next = i + 1;
        }
      } else {
        for (int i = 0, a = dispatch_rotation_; i < n && usable_units() != 0; ++i) {
          if (scheduler_.may_pick(a, usable_units())) look(a);
          a = a + 1 == n ? 0 : a + 1;
        }
      }
      // The AICPU that looks first moves on after a step that issued something: a step that
      // issues nothing changes nothing, so its instant might as well not have happened.
      if (in_flight_ != issued_before) {
        dispatch_rotation_ = dispatch_rotation_ + 1 == n ? 0 : dispatch_rotation_ + 1;
      }
      // batched: a partial group is released only when nothing else could make progress.
      if (pass == 0 && scheduler_.batched() && in_flight_ == 0 && in_transit_ == 0 &&
          scheduler_.released() == 0 && scheduler_.queued() > 0 && !generate_scheduled_ &&
          (gen_done_ || window_full_) && scheduler_.flush(now_)) {
        continue;
      }
      break;
    }
  }

  // Bit i of the result is bit (r + i) mod n of `bits` (whose bits from n up are clear);
  // `below_n` has bits 0..n-1 set.
  static std::uint64_t rotate_right(std::uint64_t bits, int r, int n,
                                    std::uint64_t below_n) noexcept {
    if (r == 0) return bits;
    return (bits >> r) | ((bits << (n - r)) & below_n);
  }

  // AICPU `a`, which may take something: while it is free and has a free core it may use, it
  // issues what the scheduler core picks. Busy, it looks again when it is free, if it has
  // something for a free core now: work that reaches it later brings its own instant, and so
  // does a core that frees up later.
  void look(int a) {
    Aicpu& cpu = aicpus_[static_cast<std::size_t>(a)];
    std::int64_t free_at = cpu.free_at;
    while (free_at <= now_) {
      const unsigned mask = usable_units_of(a);
      if (mask == 0) return;
      // Under the default schedule a pick that finds nothing says so itself (and asks for no
      // wake-up): asking may_pick first would only repeat its test.
      if (!scheduler_.plain() && !scheduler_.may_pick(a, mask)) return;
      const engine::Scheduler::Pick p = scheduler_.pick(a, now_, mask);
      if (p.slot == kNone) {
        if (p.wake_at >= 0) wake_at(p.wake_at);
        return;
      }
      free_at = start(cpu, p.slot, *p.task);
      // Dispatching takes time (aicpu_dispatch_ns): the AICPU issues once per look unless that
      // time is 0.
      if (free_at > now_) [[likely]]
        break;
    }
    const unsigned mask = usable_units_of(a);
    if (mask != 0 && scheduler_.may_pick(a, mask)) wake_at(free_at);
  }

  void wake_at(std::int64_t t) {
    if (dispatch_pending_at_ >= now_ && dispatch_pending_at_ <= t) {
      return;  // an earlier wake-up will look again
    }
    dispatch_pending_at_ = t;
    schedule_event(t, Event::Dispatch);
  }

  // Returns when the AICPU is free again.
  std::int64_t start(Aicpu& cpu, std::uint32_t slot, TaskRecord& t) {
    Flight& f = flights_[slot];
    // Locals: the stores below could alias these fields, which would then be read again.
    const std::int64_t now = now_, dispatch_ns = machine_.aicpu_dispatch_ns;
    const int core = (*cpu.cores)[t.unit].take();
    if (--free_by_kind_[t.unit] == 0) free_units_ &= ~(1u << t.unit);
    cpu.free_at = now + dispatch_ns;
    cpu.busy_ns += dispatch_ns;
    const std::int64_t begin = now + dispatch_ns + machine_.aicpu_to_core_ns;
    const std::int64_t cost = f.cost;  // read before start is written over it
    const std::int64_t end = start_extras_ ? end_with_extras(t, core, begin, cost) : begin + cost;
    f.core = core;
    f.aicpu = &cpu;
    f.start = begin;
    f.end = end;
    ++in_flight_;
    schedule_mostly_ordered(core_ends_, end, Event::CoreDone, slot);
    return now + dispatch_ns;
  }

  // When a task starting on `core` at `begin` ends with a cold start, its wait for the HBM, and
  // its kernel run (--compute, in simulated start order) on top of its cost: the machines and
  // modes that have any of these (start_extras_).
  [[gnu::noinline]] std::int64_t end_with_extras(const TaskRecord& t, int core, std::int64_t begin,
                                                 std::int64_t cost) {
    std::int64_t cold = 0;
    if (!cold_axis_.empty()) {
      const int ax = cold_axis_[static_cast<std::size_t>(t.payload.node)];
      if (ax >= 0) {
        Core& c = cores_[static_cast<std::size_t>(core)];
        const std::int64_t key = t.payload.axis_values[ax];
        if (!c.has_key || c.key != key) cold = machine_.cold_start_ns;
        c.has_key = true;
        c.key = key;
      }
    }
    std::int64_t end = begin + cold + cost;
    if (hbm_shared_) {
      const std::int64_t wait = hbm_wait(t, begin, cold);
      end += wait;
      memory_wait_ns_ += wait;
    }
    if (end - begin != cost) {  // a cold start or an HBM wait: read the payload then
      node_totals_[static_cast<std::size_t>(t.payload.node)].busy_ns += end - begin - cost;
    }
    if (options_.compute) engine::call_kernel(plan_, t.payload);
    return end;
  }

  // Global memory as one first-come-first-served server of hbm_bytes_per_ns: a task's bytes hold
  // it for bytes / bandwidth from the task's start (or from when the HBM frees up). Starts come in
  // time order, so the queue is in start order. The task's cost already moves the bytes at its
  // own core's bandwidth (after its cold start, if any); it ends later by however much later its
  // transfer through the shared HBM ends. The HBM's clock is kept exact (a double, not rounded
  // per transfer, so small transfers still add up); only the wait is rounded to ns.
  std::int64_t hbm_wait(const TaskRecord& t, std::int64_t start, std::int64_t cold) {
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(t.payload.node)];
    const double bytes = costs_.gm_bytes(n.kernel);
    if (bytes <= 0) return 0;
    hbm_free_ = std::max(hbm_free_, static_cast<double>(start)) + bytes / machine_.hbm_bytes_per_ns;
    const double own_end = static_cast<double>(start + cold) + bytes / core_gm_bytes_per_ns_;
    return hbm_free_ > own_end ? static_cast<std::int64_t>(std::llround(hbm_free_ - own_end)) : 0;
  }

  void on_core_done(std::uint32_t slot) {
    // Now is the task's end: core ends are taken in time order, so the latest end is now too.
    const Flight& f = flights_[slot];
    Core& c = cores_[static_cast<std::size_t>(f.core)];
    c.busy_ns += now_ - f.start;
    ++c.tasks;
    *c.free_word |= c.free_bit;
    if (free_by_kind_[static_cast<std::size_t>(c.kind)]++ == 0) {
      free_units_ |= 1u << static_cast<unsigned>(c.kind);
    }
    last_end_ = now_;
    // The issuing AICPU notices the completion after the poll delay (free to dispatch meanwhile)
    // and then retires the task.
    if (machine_.completion_poll_ns == 0) {
      on_retire(slot);
    } else {
      schedule_retire(now_ + machine_.completion_poll_ns, slot);
    }
  }

  void on_retire(std::uint32_t slot) {
    Aicpu& cpu = *flights_[slot].aicpu;
    cpu.free_at = std::max(now_, cpu.free_at) + machine_.aicpu_complete_ns;
    cpu.busy_ns += machine_.aicpu_complete_ns;
    schedule_mostly_ordered(completes_, cpu.free_at, Event::Complete, slot);
  }

  void on_complete(std::uint32_t slot) {
    const Flight& f = flights_[slot];
    critical_path_ = std::max(critical_path_, engine_.complete(slot, f.end - f.start, ready_));
    if (options_.record_tasks) {
      run_log_.push_back(engine::task_event(plan_, engine_.task(slot), f.core, f.start, f.end));
      run_log_.back().done_ns = now_;
    }
    scheduler_.finish(slot);
    engine_.retire(slot);
    --outstanding_;
    --in_flight_;
    for (std::uint32_t s : ready_) make_ready(s);
    ready_.clear();
    if (window_full_ && !generate_scheduled_ && !gen_done_) {
      window_full_ = false;
      schedule_event(std::max(now_, host_free_), Event::Generate);
      generate_scheduled_ = true;
    }
  }

  Plan plan_;
  Schedule schedule_;
  CompileOptions options_;
  Machine machine_;
  CostModel costs_;
  engine::Dispatcher dispatcher_;
  Engine engine_;
  engine::Scheduler scheduler_;
  BoundValues values_;

  std::vector<Core> cores_;
  std::array<int, 2> free_by_kind_{};  ///< free cores of each CoreKind, over all groups
  unsigned free_units_ = 0;            ///< bit u: free_by_kind_[u] > 0
  bool split_ = false;  ///< cores partitioned among AICPUs (Machine::partition == "split")
  std::uint64_t aicpu_bits_ = 0;     ///< bits 0..aicpus-1 (the dispatch walk's rotation, small())
  bool hbm_shared_ = false;          ///< tasks queue for the HBM (some kernel moves bytes)
  bool start_extras_ = false;        ///< cold starts, HBM waits or kernel runs: end_with_extras
  double core_gm_bytes_per_ns_ = 0;  ///< one core's own path to global memory
  double hbm_free_ = 0;              ///< when the HBM has served every transfer so far (ns)
  std::int64_t memory_wait_ns_ = 0;  ///< summed over tasks: their waits for the HBM
  std::vector<CoreSetPair> free_;    ///< per group: free cores of each kind
  std::vector<int> cold_axis_;       ///< per plan node: index of the cold-start axis
  std::vector<Flight> flights_;      ///< by slot
  std::vector<Aicpu> aicpus_;
  std::vector<engine::NodeTotals> node_totals_;  ///< by plan node: tasks costed, time on cores
  EventHeap<Event> events_;
  Fifo arrivals_;                      ///< generated tasks reaching their AICPU
  Fifo retires_;                       ///< completions noticed by their AICPU
  Fifo completes_;                     ///< AICPU retirements that keep time order
  Fifo core_ends_;                     ///< tasks ending on their cores that keep time order
  EventKey rare_key_ = kNeverKey;      ///< refresh_rare()
  Source rare_source_ = Source::None;  ///< refresh_rare()
  std::uint64_t next_seq_ = 0;
  std::int64_t now_ = 0;
  std::vector<std::uint32_t> ready_;
  std::vector<std::uint32_t> waiting_;  ///< tasks of the host's last batch that wait for others
  std::int64_t host_free_ = 0, host_busy_ns_ = 0;
  bool gen_done_ = false, window_full_ = false, generate_scheduled_ = false;
  std::int64_t tasks_ = 0, outstanding_ = 0, in_flight_ = 0, high_water_ = 0;
  std::int64_t in_transit_ = 0;  ///< generated or ready tasks not yet at their AICPU
  std::int64_t stalls_ = 0, stall_ns_ = 0, stall_since_ = -1;
  std::int64_t critical_path_ = 0, last_end_ = 0;
  int dispatch_rotation_ = 0;
  std::int64_t dispatch_pending_at_ = -1;
  bool unsynchronized_ = false;
  std::exception_ptr error_;
  std::atomic<bool> done_{true};
  std::atomic<bool> abort_{false};
  std::vector<TaskEvent> run_log_;  ///< filled by the runner; moved to log_ by synchronize()
  std::thread runner_;
  std::vector<TaskEvent> log_;
};

}  // namespace

std::unique_ptr<Executor> make_executor(Plan plan, Schedule schedule, CompileOptions options) {
  // The dispatch queues are the AICPUs unless the schedule says otherwise.
  const Machine machine = options.machine.value_or(Machine::defaults());
  machine.validate(fmt::format("machine '{}'", machine.name));
  if (!schedule.queues_given()) schedule = schedule.queues(machine.aicpus);
  schedule.validate();
  return std::make_unique<SimExecutor>(std::move(plan), std::move(schedule), std::move(options));
}

}  // namespace pto::wsp::sim
