// The cpu backend. Workers are threads; each one, in turn, takes the generation role when the
// ready queue runs low and the window has room (so generation needs no thread of its own), and
// otherwise runs ready tasks. Idle workers sleep on a condition variable.
#include "backends/cpu/cpu_executor.hpp"
#include "backends/cpu/wall_clock.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <span>
#include <thread>

#include <fmt/format.h>

#include "engine/engine.hpp"
#include "engine/generator.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto::wsp::cpu {
namespace {

using engine::Engine;
using engine::TaskRecord;

// Checks every view of every task without tracking or running anything.
class ValidationSink final : public engine::GenerationSink {
 public:
  engine::TaskPayload& next_payload() override { return payload_; }
  bool has_room() override { return true; }
  void commit_task() override {}
  void chain_begin() override {}
  void chain_end() override {}
  void group_begin() override {}
  void group_end() override {}

 private:
  engine::TaskPayload payload_;
};

int resolved_threads(int requested) {
  return requested > 0 ? requested
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

class CpuExecutor final : public Executor {
 public:
  CpuExecutor(Plan plan, CompileOptions options)
      : plan_(std::move(plan)),
        options_(std::move(options)),
        engine_(plan_, engine::EngineOptions{
                           options_.window.size, options_.window.mode,
                           options_.parallel_generation ? resolved_threads(options_.threads) : 1}) {
    const int n = resolved_threads(options_.threads);
    options_.threads = n;
    low_water_ = static_cast<std::size_t>(2 * n);
    window_hysteresis_ = std::clamp<std::int64_t>(options_.window.size / 8, 1, 64);
    local_.resize(static_cast<std::size_t>(n));
    for (int w = 0; w < n; ++w) threads_.emplace_back([this, w] { worker_main(w); });
  }

  ~CpuExecutor() override {
    {
      std::unique_lock<std::mutex> lk(mu_);
      if (active_) aborting_ = true;
      cv_work_.notify_all();
      cv_done_.wait(lk, [&] { return !active_; });
      shutdown_ = true;
    }
    cv_work_.notify_all();
    for (std::thread& t : threads_) t.join();
  }

  void execute(const Bindings& bindings) override {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (active_ || unsynchronized_) {
        throw ExecutionError("execute(): the previous execution has not been synchronized");
      }
    }
    BoundValues values = bind(plan_, bindings);  // throws on bad input: nothing runs
    const auto t0 = Clock::now();
    if (options_.prevalidate) {
      engine::Generator check(plan_, values);
      ValidationSink sink;
      check.run(sink, std::numeric_limits<std::int64_t>::max());
    }
    validation_ns_ = ns_since(t0);
    values_ = std::move(values);
    engine_.start(values_);
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& l : local_) l = WorkerLocal{};
    log_.clear();
    error_ = nullptr;
    aborting_ = false;
    gen_done_ = false;
    window_blocked_ = false;
    freed_since_block_ = 0;
    outstanding_ = 0;
    tasks_ = 0;
    clock_.reset();
    end_ns_ = 0;
    active_ = true;
    unsynchronized_ = true;
    cv_work_.notify_all();
  }

  void synchronize() override {
    std::unique_lock<std::mutex> lk(mu_);
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
    std::lock_guard<std::mutex> lk(mu_);
    return !active_;
  }

  ProgramStats stats() const override {
    std::lock_guard<std::mutex> lk(mu_);
    ProgramStats s;
    s.tasks = tasks_;
    s.makespan_ns = end_ns_;
    s.validation_ns = validation_ns_;
    for (const WorkerLocal& l : local_) {
      s.workers.push_back(WorkerStats{l.tasks, l.busy_ns});
      s.generation_ns += l.generation_ns;
      s.helper_chunks += l.helper_chunks;
    }
    return s;
  }

  const std::vector<TaskEvent>& task_log() const override { return log_; }
  const Plan& plan() const override { return plan_; }
  const CompileOptions& options() const override { return options_; }

 private:
  using Clock = std::chrono::steady_clock;

  struct WorkerLocal {
    std::int64_t tasks = 0;
    std::int64_t busy_ns = 0;
    std::int64_t generation_ns = 0;
    std::int64_t helper_chunks = 0;
    std::vector<TaskEvent> log;
  };

  std::int64_t ns_since(Clock::time_point t0) const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
  }
  std::int64_t now_ns() const { return clock_.now_ns(); }

  // Called with mu_ held.
  void push_ready(std::vector<std::uint32_t>& ready) {
    // Tasks become ready in the engine (at generation or when their last predecessor ends); the
    // ready time is stamped here, where the clock lives.
    const std::int64_t now = ready.empty() ? 0 : now_ns();
    for (std::uint32_t s : ready) {
      engine_.task(s).ready_ns = now;
      ready_.push_back(s);
    }
    const std::size_t wake =
        std::min<std::size_t>(ready.size(), static_cast<std::size_t>(sleepers_));
    for (std::size_t i = 0; i < wake; ++i) cv_work_.notify_one();
    ready.clear();
  }

  void fail_locked(std::exception_ptr e) {
    if (!error_) error_ = std::move(e);
    aborting_ = true;
    ready_.clear();
    cv_work_.notify_all();
  }

  // After the window filled, wait until a few slots are free before generating again, so that a
  // full window costs one generation call per batch of completions, not one per completion. With
  // nothing running or ready, generate at once (nothing else would free a slot).
  bool generation_allowed() const {
    if (!window_blocked_) return true;
    if (freed_since_block_ >= window_hysteresis_) return true;
    return freed_since_block_ > 0 && running_ == 0 && ready_.empty();
  }

  bool finished_locked() const {
    if (helpers_ > 0 || generating_) return false;
    if (aborting_) return running_ == 0;
    return gen_done_ && outstanding_ == 0;
  }

  void finish_locked() {
    end_ns_ = now_ns();
    active_ = false;
    ready_.clear();
    cv_done_.notify_all();
    cv_work_.notify_all();
  }

  void run_task(int w, std::uint32_t slot, std::exception_ptr& error) {
    TaskRecord& t = engine_.task(slot);
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(t.payload.node)];
    const Kernel& k = plan_.kernels[static_cast<std::size_t>(n.kernel)];
    std::array<AxisValue, engine::kMaxTaskAxes> axes;
    for (int a = 0; a < t.payload.num_axes; ++a) {
      axes[a] = AxisValue{n.axis_names[a], t.payload.axis_values[a]};
    }
    const std::span<const AxisValue> axis_span(axes.data(), t.payload.num_axes);
    const std::int64_t start = now_ns();
    try {
      k.fn()(TaskArgs(k.signature(), t.payload.tensors, t.payload.scalars, axis_span));
    } catch (const std::exception& e) {
      std::string name = k.name() + "[";
      for (std::size_t a = 0; a < axis_span.size(); ++a) {
        name += fmt::format("{}{}={}", a ? ", " : "", axis_span[a].name, axis_span[a].value);
      }
      error = std::make_exception_ptr(
          KernelError(fmt::format("task {}]: kernel raised: {}", name, e.what())));
    }
    const std::int64_t end = now_ns();
    WorkerLocal& l = local_[static_cast<std::size_t>(w)];
    ++l.tasks;
    l.busy_ns += end - start;
    if (options_.record_tasks) {
      TaskEvent e;
      e.id = t.id;
      e.node = t.payload.node;
      e.kernel = k.name();
      for (const AxisValue& a : axis_span) e.axes.emplace_back(std::string(a.name), a.value);
      e.worker = w;
      e.gen_ns = t.gen_ns;
      e.ready_ns = t.ready_ns;
      e.start_ns = start;
      e.end_ns = end;
      e.deps = t.deps;
      l.log.push_back(std::move(e));
    }
  }

  void worker_main(int w) {
    std::vector<std::uint32_t> ready;
    ready.reserve(256);
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      if (shutdown_) return;
      if (!active_) {
        cv_work_.wait(lk);
        continue;
      }
      if (finished_locked()) {
        finish_locked();
        continue;
      }
      if (!aborting_ && !gen_done_ && !generating_ && generation_allowed() &&
          ready_.size() < low_water_) {
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
        local_[static_cast<std::size_t>(w)].generation_ns += now_ns() - t0;
        lk.lock();
        generating_ = false;
        outstanding_ += r.tasks;
        tasks_ += r.tasks;
        gen_done_ = r.exhausted;
        // A task that finished while we generated may have freed the slot we lacked.
        window_blocked_ = r.window_full && completions_ == completions_before;
        freed_since_block_ = 0;
        if (error) {
          ready.clear();
          fail_locked(error);
        } else {
          push_ready(ready);
        }
        continue;
      }
      if (!aborting_ && !ready_.empty()) {
        const std::uint32_t slot = ready_.front();
        ready_.pop_front();
        ++running_;
        lk.unlock();
        std::exception_ptr error;
        run_task(w, slot, error);
        engine_.complete(slot, ready);
        engine_.retire(slot);
        lk.lock();
        --running_;
        --outstanding_;
        ++completions_;
        ++freed_since_block_;
        if (error) {
          ready.clear();
          fail_locked(error);
        } else if (aborting_) {
          ready.clear();
        } else {
          push_ready(ready);
        }
        continue;
      }
      if (!aborting_ && generating_ && engine_.can_help()) {
        // Nothing to run while another worker generates: expand chunks of a split loop ahead.
        ++helpers_;
        lk.unlock();
        const std::int64_t t0 = now_ns();
        const bool helped = engine_.help();
        local_[static_cast<std::size_t>(w)].generation_ns += now_ns() - t0;
        local_[static_cast<std::size_t>(w)].helper_chunks += helped ? 1 : 0;
        lk.lock();
        --helpers_;
        // The program may have finished while we helped: the loop top then ends it.
        if (helped || finished_locked()) continue;
      }
      ++sleepers_;
      cv_work_.wait(lk);
      --sleepers_;
    }
  }

  static constexpr std::int64_t kGenerationBatch = 256;

  Plan plan_;
  CompileOptions options_;
  Engine engine_;
  BoundValues values_;
  std::vector<std::thread> threads_;
  std::size_t low_water_ = 2;

  mutable std::mutex mu_;
  std::condition_variable cv_work_;
  std::condition_variable cv_done_;
  std::deque<std::uint32_t> ready_;
  bool shutdown_ = false;
  bool active_ = false;
  bool unsynchronized_ = false;
  bool aborting_ = false;
  bool generating_ = false;
  bool gen_done_ = false;
  bool window_blocked_ = false;
  std::int64_t freed_since_block_ = 0;
  std::int64_t window_hysteresis_ = 1;
  int sleepers_ = 0;
  int helpers_ = 0;
  int running_ = 0;
  std::int64_t outstanding_ = 0;
  std::int64_t completions_ = 0;
  std::int64_t tasks_ = 0;
  std::exception_ptr error_;
  WallClock clock_;
  std::int64_t end_ns_ = 0;
  std::int64_t validation_ns_ = 0;
  std::vector<WorkerLocal> local_;
  std::vector<TaskEvent> log_;
};

}  // namespace

std::unique_ptr<Executor> make_executor(Plan plan, CompileOptions options) {
  return std::make_unique<CpuExecutor>(std::move(plan), std::move(options));
}

}  // namespace pto::wsp::cpu
