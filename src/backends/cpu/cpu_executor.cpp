// The cpu backend. Workers are threads; each one, in turn, takes the generation role when the
// ready queue runs low and the window has room (so generation needs no thread of its own), and
// otherwise runs ready tasks. Idle workers sleep on a condition variable.
#include "backends/cpu/cpu_executor.hpp"
#include "backends/cpu/adaptive_mutex.hpp"
#include "backends/cpu/wall_clock.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <span>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

#include <fmt/format.h>

#include "engine/dispatcher.hpp"
#include "engine/engine.hpp"
#include "engine/generator.hpp"
#include "engine/kernel_call.hpp"
#include "engine/scheduler.hpp"
#include "engine/validation.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto::wsp::cpu {
namespace {

using engine::Engine;
using engine::TaskRecord;

// Cores this process may run on (its affinity mask), not the machine's.
int usable_cores() {
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int resolved_threads(int requested) {
  return requested > 0 ? requested : usable_cores();
}

class CpuExecutor final : public Executor {
 public:
  CpuExecutor(Plan plan, Schedule schedule, CompileOptions options)
      : plan_(std::move(plan)),
        schedule_(std::move(schedule)),
        options_(std::move(options)),
        dispatcher_(plan_, schedule_),
        engine_(plan_,
                engine::EngineOptions{
                    options_.window.value_or(TaskWindow{}).size,
                    options_.window.value_or(TaskWindow{}).mode,
                    options_.parallel_generation ? resolved_threads(options_.threads) : 1,
                    &dispatcher_, /*single_thread=*/false, options_.record_tasks,
                    /*views_read=*/{}}),  // every node's: the workers run every kernel
        scheduler_(engine_, schedule_, resolved_threads(options_.threads)) {
    const int n = resolved_threads(options_.threads);
    options_.threads = n;
    options_.window = options_.window.value_or(TaskWindow{});
    low_water_ = 2 * n;
    spin_ = n <= usable_cores();
    // A waiter for the scheduler lock spins only where each worker has a core and the process
    // may run on more than two: on a 2-core VM spinning made 1 M tiny tasks on 2 workers 2x slower,
    // where on a 16-core host it made the attention instance 14% faster on 2 to 16 workers
    // (docs/engine.md, "The scheduler lock").
    mu_.set_spins(spin_ && usable_cores() > 2 ? kLockSpins : 0);
    window_hysteresis_ = std::clamp<std::int64_t>(options_.window->size / 8, 1, 64);
    local_.resize(static_cast<std::size_t>(n));
    for (int w = 0; w < n; ++w) threads_.emplace_back([this, w] { worker_main(w); });
  }

  ~CpuExecutor() override {
    {
      std::unique_lock<AdaptiveMutex> lk(mu_);
      if (active_) {
        aborting_ = true;
        stop_.store(true, std::memory_order_relaxed);  // running batches stop after their task
      }
      wake_all();
      cv_done_.wait(lk, [&] { return !active_; });
      shutdown_ = true;
      wake_all();
    }
    for (std::thread& t : threads_) t.join();
  }

  void execute(const Bindings& bindings) override {
    {
      std::lock_guard<AdaptiveMutex> lk(mu_);
      if (active_ || unsynchronized_) {
        throw ExecutionError("execute(): the previous execution has not been synchronized");
      }
    }
    values_ = bind(plan_, bindings);  // throws on bad input: nothing runs
    const auto t0 = Clock::now();
    if (options_.prevalidate) {
      engine::prevalidate(plan_, values_, dispatcher_);
    }
    validation_ns_ = ns_since(t0);
    engine_.start(values_);
    scheduler_.start();
    std::lock_guard<AdaptiveMutex> lk(mu_);
    for (auto& l : local_) {
      l = WorkerLocal{};
      l.nodes.resize(plan_.nodes.size());
    }
    log_.clear();
    error_ = nullptr;
    aborting_ = false;
    stop_.store(false, std::memory_order_relaxed);
    gen_done_ = false;
    window_blocked_ = false;
    freed_since_block_ = 0;
    outstanding_ = 0;
    high_water_ = 0;
    stalls_ = 0;
    stall_ns_ = 0;
    stall_since_ = -1;
    tasks_ = 0;
    clock_.reset();
    end_ns_ = 0;
    active_ = true;
    unsynchronized_ = true;
    wake_all();
  }

  void synchronize() override {
    std::unique_lock<AdaptiveMutex> lk(mu_);
    cv_done_.wait(lk, [&] { return !active_; });
    if (!unsynchronized_) return;
    unsynchronized_ = false;
    if (options_.record_tasks) {
      for (auto& l : local_) {
        for (auto& e : l.log) log_.push_back(std::move(e));
        l.log.clear();
      }
      std::sort(log_.begin(), log_.end(),
                [](const TaskEvent& a, const TaskEvent& b) { return a.id < b.id; });
    }
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
  }

  bool is_complete() const override {
    std::lock_guard<AdaptiveMutex> lk(mu_);
    return !active_;
  }

  ProgramStats stats() const override {
    std::lock_guard<AdaptiveMutex> lk(mu_);
    ProgramStats s;
    s.backend = "cpu";
    s.tasks = tasks_;
    // While an execution runs, workers update their own counters without the lock: report only
    // what the lock guards until it is over.
    if (active_) return s;
    s.makespan_ns = end_ns_;
    s.validation_ns = validation_ns_;
    s.queues = scheduler_.num_queues();
    s.window_size = options_.window->size;
    s.window_stalls = stalls_;
    s.window_stall_ns = stall_ns_;
    s.window_high_water = high_water_;

    s.stolen = scheduler_.stolen();
    for (std::size_t w = 0; w < local_.size(); ++w) {
      const WorkerLocal& l = local_[w];
      WorkerStats ws{
          l.tasks,
          l.busy_ns,
          end_ns_ > 0 ? static_cast<double>(l.busy_ns) / static_cast<double>(end_ns_) : 0.0,
          scheduler_.queues_of(static_cast<int>(w)),
          fmt::format("worker {}", w),
          ""};
      s.workers.push_back(std::move(ws));
      s.generation_ns += l.generation_ns;
      s.helper_chunks += l.helper_chunks;
      s.idle_ns += l.idle_ns;
      s.critical_path_ns = std::max(s.critical_path_ns, l.critical_path_ns);
      // Whatever a worker did between execute() and the end that was not a kernel, generation
      // or sleep was scheduling: dispatch, queues, timing, completion, hand-overs.
      s.scheduling_ns +=
          std::max<std::int64_t>(0, end_ns_ - l.busy_ns - l.generation_ns - l.idle_ns);
    }
    s.scheduling_ns_per_task =
        s.tasks > 0 ? static_cast<double>(s.scheduling_ns) / static_cast<double>(s.tasks) : 0.0;
    std::vector<engine::NodeTotals> nodes(plan_.nodes.size());
    for (const WorkerLocal& l : local_) {
      for (std::size_t n = 0; n < l.nodes.size(); ++n) {
        nodes[n].tasks += l.nodes[n].tasks;
        nodes[n].busy_ns += l.nodes[n].busy_ns;
      }
    }
    s.kernels = engine::kernel_stats(plan_, nodes);
    return s;
  }

  const std::vector<TaskEvent>& task_log() const override { return log_; }
  const Plan& plan() const override { return plan_; }
  const Schedule& schedule() const override { return schedule_; }
  const CompileOptions& options() const override { return options_; }

 private:
  using Clock = std::chrono::steady_clock;

  struct Released {
    std::size_t count;  ///< `ready` held this many tasks after the task ended
    std::int64_t end;
  };
  struct WorkerLocal {
    std::int64_t tasks = 0;
    std::int64_t busy_ns = 0;
    std::int64_t generation_ns = 0;
    std::int64_t idle_ns = 0;
    std::int64_t critical_path_ns = 0;  ///< the longest path ending at a task it ran
    std::int64_t helper_chunks = 0;
    std::vector<TaskEvent> log;
    std::vector<Released> released;         ///< scratch of run()
    std::vector<engine::NodeTotals> nodes;  ///< by plan node: its tasks this worker ran
  };

  // How an idle worker waits: spinning on `look` (spin_for_signal), then asleep on its own
  // condition variable, so that work for one queue wakes a worker that serves it. One cache line
  // or more per worker: a spinner reads `look` in a loop. All but `look` guarded by mu_.
  struct alignas(64) Sleeper {
    std::condition_variable_any cv;
    bool asleep = false;
    bool helping = false;  ///< asleep means "helping generation, wake me if you need me"
    bool spinning = false;
    bool nudged = false;
    /// While it waits for work during an execution: when it began (else -1). Whoever ends the
    /// execution counts the wait up to the end, so that the stats are complete and final when
    /// synchronize() returns, however late the OS wakes this worker.
    std::int64_t idle_since = -1;
    std::atomic<bool> look{false};  ///< set by nudge(), watched by the spinning worker
  };

  std::int64_t ns_since(Clock::time_point t0) const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  }
  std::int64_t now_ns() const { return clock_.now_ns(); }

  // With mu_ held: wakes one idle worker that can start work of `queue` — a spinning one first
  // (it only has to look again), else a sleeping one.
  bool wake_for(int queue) {
    if (spinning_ > 0) {
      for (int w : scheduler_.workers_of(queue)) {
        if (nudge(w)) return true;
      }
      if (scheduler_.steals()) {
        for (int w = 0; w < static_cast<int>(sleepers_.size()); ++w) {
          if (nudge(w)) return true;
        }
      }
    }
    if (sleeping_ == 0) return false;  // the common case under load: nobody to wake
    // Workers really asleep first; a worker helping generation (counted as asleep) last.
    for (const bool helping : {false, true}) {
      for (int w : scheduler_.workers_of(queue)) {
        if (sleepers_[static_cast<std::size_t>(w)].helping == helping && wake(w)) return true;
      }
      if (scheduler_.steals()) {
        for (int w = 0; w < static_cast<int>(sleepers_.size()); ++w) {
          if (sleepers_[static_cast<std::size_t>(w)].helping == helping && wake(w)) return true;
        }
      }
    }
    return false;
  }
  void set_asleep(Sleeper& s, bool asleep) {
    if (s.asleep == asleep) return;
    s.asleep = asleep;
    sleeping_ += asleep ? 1 : -1;
  }
  bool wake(int w) {
    Sleeper& s = sleepers_[static_cast<std::size_t>(w)];
    if (!s.asleep) return false;
    set_asleep(s, false);
    s.cv.notify_one();
    return true;
  }
  // With mu_ held: tells spinning worker `w` to look again, once.
  bool nudge(int w) {
    Sleeper& s = sleepers_[static_cast<std::size_t>(w)];
    if (!s.spinning || s.nudged) return false;
    s.nudged = true;
    s.look.store(true, std::memory_order_release);
    return true;
  }
  void wake_all() {
    for (int w = 0; w < static_cast<int>(sleepers_.size()); ++w) nudge(w);
    for (Sleeper& s : sleepers_) {
      set_asleep(s, false);
      s.cv.notify_one();
    }
  }

  // Called with mu_ held.
  // `now`: when they became ready (the end of the generation call or of the task that released
  // them), a time the caller read already: clock reads are a large share of a small task's cost.
  void push_ready(std::span<const std::uint32_t> ready, std::int64_t now) {
    for (std::uint32_t s : ready) {
      TaskRecord& t = engine_.task(s);
      // A task generated while its last predecessor was finishing became ready when it existed.
      t.ready_ns = std::max(now, t.gen_ns);
      wake_for(scheduler_.push(s));
    }
  }

  void fail_locked(std::exception_ptr e) {
    if (!error_) error_ = std::move(e);
    aborting_ = true;
    stop_.store(true, std::memory_order_relaxed);
    wake_all();
  }

  // After the window filled, wait until a few slots are free before generating again, so that a
  // full window costs one generation call per batch of completions, not one per completion. With
  // nothing running or queued, generate at once (nothing else would free a slot).
  bool generation_allowed() const {
    if (!window_blocked_) return true;
    if (freed_since_block_ >= window_hysteresis_) return true;
    return freed_since_block_ > 0 && running_ == 0 && scheduler_.queued() == 0;
  }
  bool can_generate() const {
    return !aborting_ && !gen_done_ && !generating_ && generation_allowed();
  }

  bool finished_locked() const {
    if (helpers_ > 0 || generating_) return false;
    if (aborting_) return running_ == 0;
    return gen_done_ && outstanding_ == 0;
  }

  void finish_locked() {
    end_ns_ = now_ns();
    for (std::size_t w = 0; w < sleepers_.size(); ++w) end_idle(sleepers_[w], local_[w], end_ns_);
    active_ = false;
    cv_done_.notify_all();
    // Spinners stop spinning; sleepers sleep on until the next execute() (or the destructor)
    // wakes them: waking every worker here only to park it again put up to N threads on the
    // run queue just as the caller went on (to time something else, say).
    for (int w = 0; w < static_cast<int>(sleepers_.size()); ++w) nudge(w);
  }

  void generate(int w, std::unique_lock<AdaptiveMutex>& lk, std::vector<std::uint32_t>& ready) {
    generating_ = true;
    const std::int64_t completions_before = completions_;
    lk.unlock();
    engine::GenerateResult r;
    std::exception_ptr error;
    engine_.reclaim();
    const std::int64_t t0 = now_ns();
    try {
      r = engine_.generate(kGenerationBatch, t0, ready);
    } catch (...) {
      error = std::current_exception();
    }
    const std::int64_t t1 = now_ns();
    local_[static_cast<std::size_t>(w)].generation_ns += t1 - t0;
    lk.lock();
    generating_ = false;
    if (stall_since_ >= 0) {  // the window had stopped generation until now
      stall_ns_ += t0 - stall_since_;
      stall_since_ = -1;
    }
    outstanding_ += r.tasks;
    high_water_ = std::max(high_water_, outstanding_);
    tasks_ += r.tasks;
    gen_done_ = r.exhausted;
    // A task that finished while we generated may have freed the slot we lacked.
    window_blocked_ = r.window_full && completions_ == completions_before;
    if (r.window_full) {
      ++stalls_;
      stall_since_ = t1;
    }
    freed_since_block_ = 0;
    if (error) {
      ready.clear();
      fail_locked(error);
    } else {
      push_ready(ready, t1);
      ready.clear();
    }
  }

  // Runs `batch` (tasks this worker took at once, the first released at `start`) one after
  // another with the lock released, then hands their completions over under one lock: with
  // several workers, every lock hand-over costs a cache-line transfer or a futex call, so short
  // tasks share one. Dependants are pushed with the end of the task that released them.
  void run(int w, std::span<const std::uint32_t> batch, std::int64_t start,
           std::unique_lock<AdaptiveMutex>& lk, std::vector<std::uint32_t>& ready) {
    running_ += static_cast<int>(batch.size());
    lk.unlock();
    std::exception_ptr error;
    std::size_t ran = 0;
    WorkerLocal& l = local_[static_cast<std::size_t>(w)];
    std::vector<Released>& released = l.released;
    released.clear();
    std::int64_t& longest = l.critical_path_ns;
    for (const std::uint32_t slot : batch) {
      if (ran > 0 && stop_.load(std::memory_order_relaxed)) break;  // another task failed
      const std::int64_t end = run_task(w, slot, start, error);
      longest = std::max(longest, engine_.complete(slot, end - start, ready));
      released.push_back(Released{ready.size(), end});
      ++ran;
      if (error) break;
      start = end;
    }
    lk.lock();
    running_ -= static_cast<int>(batch.size());
    for (std::size_t i = 0; i < ran; ++i) {
      const int freed_queue = scheduler_.finish(batch[i]);
      engine_.retire(batch[i]);  // after the scheduler read the record
      if (freed_queue >= 0 && !error && !aborting_) wake_for(freed_queue);
    }
    outstanding_ -= static_cast<std::int64_t>(ran);
    completions_ += static_cast<std::int64_t>(ran);
    freed_since_block_ += static_cast<std::int64_t>(ran);
    if (error) {
      ready.clear();
      fail_locked(error);
    } else if (aborting_) {
      ready.clear();
    } else {
      std::size_t from = 0;
      for (const Released& r : released) {
        push_ready(std::span(ready).subspan(from, r.count - from), r.end);
        from = r.count;
      }
      ready.clear();
    }
  }

  // How many startable tasks a worker takes at once: as many of its recent tasks as fit in
  // kBatchNs, and only while the queue keeps at least as many for each other worker (a batch
  // never starves an idle worker). Only where taking several at once changes no policy's
  // guarantee (Scheduler::batchable: FIFO order, immediate timing).
  std::int64_t batch_size(const WorkerLocal& l) const {
    if (!scheduler_.batchable() || l.tasks < 16) return 1;
    const std::int64_t mean = std::max<std::int64_t>(1, l.busy_ns / l.tasks);
    const std::int64_t by_time = std::clamp<std::int64_t>(kBatchNs / mean, 1, kMaxBatch);
    const std::int64_t by_queue = scheduler_.queued() / static_cast<std::int64_t>(threads_.size());
    return std::clamp<std::int64_t>(std::min(by_time, by_queue), 1, kMaxBatch);
  }

  // Runs the kernel; returns when it ended. `start` is the instant the scheduler released the task
  // to this worker, which counts as its start (in the log, in busy time, and for the rate limit).
  std::int64_t run_task(int w, std::uint32_t slot, std::int64_t start, std::exception_ptr& error) {
    TaskRecord& t = engine_.task(slot);
    try {
      engine::call_kernel(plan_, t.payload);
    } catch (...) {
      error = std::current_exception();
    }
    const std::int64_t end = now_ns();
    WorkerLocal& l = local_[static_cast<std::size_t>(w)];
    ++l.tasks;
    l.busy_ns += end - start;
    engine::NodeTotals& node = l.nodes[static_cast<std::size_t>(t.payload.node)];
    ++node.tasks;
    node.busy_ns += end - start;
    if (options_.record_tasks) l.log.push_back(engine::task_event(plan_, t, w, start, end));
    return end;
  }

  // With batched timing, a partial group is released only when nothing else could move: no
  // task running or released, and generation finished or stopped by the window.
  bool stuck_on_partial_batch() const {
    return scheduler_.batched() && running_ == 0 && scheduler_.released() == 0 &&
           scheduler_.queued() > 0 && !generating_ && (gen_done_ || !generation_allowed());
  }

  void worker_main(int w) {
    std::vector<std::uint32_t> ready, batch;
    ready.reserve(256);
    batch.reserve(kMaxBatch);
    Sleeper& me = sleepers_[static_cast<std::size_t>(w)];
    WorkerLocal* local = nullptr;
    std::unique_lock<AdaptiveMutex> lk(mu_);
    for (;;) {
      if (shutdown_) return;
      if (!active_) {
        set_asleep(me, true);
        me.cv.wait(lk);
        set_asleep(me, false);
        continue;
      }
      local = &local_[static_cast<std::size_t>(w)];
      if (finished_locked()) {
        finish_locked();
        continue;
      }
      if (can_generate() && scheduler_.queued() < low_water_) {
        generate(w, lk, ready);
        continue;
      }
      std::int64_t wake_at = -1;
      if (!aborting_) {
        const std::int64_t now = now_ns();
        const engine::Scheduler::Pick pick = scheduler_.pick(w, now, 1u);  // one kind of core
        if (pick.slot != engine::kNone) {
          // A batch released with this task: its other tasks are for the queue's other workers.
          const int queue = engine_.task(pick.slot).queue;
          for (std::int64_t k = scheduler_.released_in(queue); k > 0 && wake_for(queue); --k) {
          }
          batch.assign(1, pick.slot);
          for (std::int64_t k = batch_size(*local); k > 1; --k) {
            const engine::Scheduler::Pick more = scheduler_.pick(w, now, 1u);
            if (more.slot == engine::kNone) break;
            batch.push_back(more.slot);
          }
          run(w, batch, now, lk, ready);
          continue;
        }
        wake_at = pick.wake_at;
        if (can_generate()) {  // nothing to start here: generate ahead instead
          generate(w, lk, ready);
          continue;
        }
        if (stuck_on_partial_batch() && scheduler_.flush(now)) {
          wake_all();
          continue;
        }
        if (generating_ && engine_.can_help()) {
          // Nothing to run while another worker generates: expand chunks of a split loop ahead.
          ++helpers_;
          // Counted as asleep while helping, so that work pushed for our queues meanwhile
          // wakes us (clears the flag) instead of being lost.
          set_asleep(me, true);
          me.helping = true;
          lk.unlock();
          const std::int64_t t0 = now_ns();
          const bool helped = engine_.help();
          local->generation_ns += now_ns() - t0;
          local->helper_chunks += helped ? 1 : 0;
          lk.lock();
          --helpers_;
          const bool woken = !me.asleep;
          set_asleep(me, false);
          me.helping = false;
          // The program may have finished while we helped: the loop top then ends it.
          if (helped || woken || finished_locked()) continue;
        }
      }
      me.idle_since = now_ns();
      if (wake_at < 0 && spin_ && spin_for_signal(w, lk)) {
        end_idle(me, *local, now_ns());
        continue;
      }
      set_asleep(me, true);
      if (wake_at >= 0) {
        // Rate limit: sleep until the next start is allowed (or something else happens).
        me.cv.wait_for(
            lk, std::chrono::nanoseconds(std::max<std::int64_t>(wake_at - me.idle_since, 0)));
      } else {
        me.cv.wait(lk);
      }
      set_asleep(me, false);
      end_idle(me, *local, now_ns());  // unless the end of the execution counted it
    }
  }

  // With mu_ held: a worker's wait for work ends at `now` (its own wake-up, or the end of the
  // execution, whichever comes first; a wait counted once).
  static void end_idle(Sleeper& s, WorkerLocal& l, std::int64_t now) {
    if (s.idle_since < 0) return;
    l.idle_ns += now - s.idle_since;
    s.idle_since = -1;
  }

  // Before sleeping, an idle worker spins for kSpinNs, until a push for one of its queues (or a
  // wake_all) nudges it to look again. A sleeping worker costs a futex wake-up to restart, and
  // the OS often places the woken thread on the core of the thread that woke it — which keeps
  // running — so it waits for the next load balance: milliseconds, measured as 2-10 ms lost per
  // execution on a 2-core VM (docs/engine.md). Each push nudges one idle worker of its queue, as
  // it would wake one sleeper: the others keep spinning without touching the lock. Only when
  // every worker has a core of its own. Called and returns with mu_ held; true: look again.
  bool spin_for_signal(int w, std::unique_lock<AdaptiveMutex>& lk) {
    Sleeper& me = sleepers_[static_cast<std::size_t>(w)];
    me.spinning = true;
    me.nudged = false;
    me.look.store(false, std::memory_order_relaxed);
    ++spinning_;
    lk.unlock();
    // steady_clock, not clock_: execute() may reset clock_'s origin while we spin unlocked.
    const auto until = Clock::now() + std::chrono::nanoseconds(kSpinNs);
    bool found = false;
    while (!found && Clock::now() < until) {
      for (int i = 0; i < 32 && !found; ++i) {
        cpu_relax();
        found = me.look.load(std::memory_order_acquire);
      }
    }
    lk.lock();
    --spinning_;
    me.spinning = false;
    return me.nudged;  // a nudge after the last look counts too
  }
  static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  static constexpr std::int64_t kSpinNs = 200000;  // libgomp: 300 000 spins (GOMP_SPINCOUNT)
  static constexpr int kLockSpins = 100;  ///< a few µs; glibc's adaptive mutexes spin up to 100
  static constexpr std::int64_t kGenerationBatch = 256;
  static constexpr std::int64_t kBatchNs = 2000;  ///< a batch of tasks lasts about this long
  static constexpr std::int64_t kMaxBatch = 16;

  Plan plan_;
  Schedule schedule_;
  CompileOptions options_;
  engine::Dispatcher dispatcher_;
  Engine engine_;
  engine::Scheduler scheduler_;
  BoundValues values_;
  std::vector<std::thread> threads_;
  std::int64_t low_water_ = 2;

  mutable AdaptiveMutex mu_;
  std::vector<Sleeper> sleepers_ =
      std::vector<Sleeper>(static_cast<std::size_t>(resolved_threads(options_.threads)));
  std::condition_variable_any cv_done_;
  int sleeping_ = 0;  ///< workers whose Sleeper::asleep is set
  bool shutdown_ = false;
  bool active_ = false;
  bool unsynchronized_ = false;
  bool aborting_ = false;
  bool generating_ = false;
  bool gen_done_ = false;
  bool window_blocked_ = false;
  std::int64_t freed_since_block_ = 0;
  std::int64_t window_hysteresis_ = 1;
  int helpers_ = 0;
  int running_ = 0;
  std::int64_t outstanding_ = 0;
  std::int64_t high_water_ = 0;
  std::int64_t stalls_ = 0, stall_ns_ = 0, stall_since_ = -1;
  std::int64_t completions_ = 0;
  std::int64_t tasks_ = 0;
  std::exception_ptr error_;
  std::atomic<bool> stop_{false};  ///< aborting_, readable without the lock (batches stop)
  int spinning_ = 0;               ///< workers in spin_for_signal (guarded by mu_)
  bool spin_ = false;              ///< every worker has a core of its own
  WallClock clock_;
  std::int64_t end_ns_ = 0;
  std::int64_t validation_ns_ = 0;
  std::vector<WorkerLocal> local_;
  std::vector<TaskEvent> log_;
};

}  // namespace

std::unique_ptr<Executor> make_executor(Plan plan, Schedule schedule, CompileOptions options) {
  return std::make_unique<CpuExecutor>(std::move(plan), std::move(schedule), std::move(options));
}

}  // namespace pto::wsp::cpu
