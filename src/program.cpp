// compile(), the Program facade over the backends, and the schedule combinators on Workload.
#include "pto/wsp/program.hpp"

#include <fmt/format.h>

#include "backends/cpu/cpu_executor.hpp"
#include "backends/sim/sim_executor.hpp"
#include "engine/executor.hpp"
#include "pto/wsp/core/error.hpp"
#include "pto/wsp/trace.hpp"

namespace pto::wsp {
namespace {

// The schedule's task_graph window and the compile options' window are two ways to say one
// thing: either may be given, or both if they agree.
TaskWindow resolve_window(const Schedule& schedule, const CompileOptions& options) {
  const auto& s = schedule.window();
  const auto& o = options.window;
  if (s && o && !(*s == *o)) {
    throw ScheduleError(
        fmt::format("the task window is set twice: task_graph(TaskWindow({})) in the schedule and "
                    "CompileOptions::window = TaskWindow({}); set it in one place",
                    s->size, o->size));
  }
  return s ? *s : o.value_or(TaskWindow{});
}

}  // namespace

Program::Program(Plan plan, Schedule schedule, CompileOptions options) {
  schedule.validate();
  options.window = resolve_window(schedule, options);
  if (options.target == "cpu") {
    if (options.machine || options.compute) {
      throw CompileError(
          "compile: CompileOptions::machine and ::compute apply to target \"sim\" only (the cpu "
          "backend runs on this machine and always computes)");
    }
    impl_ = cpu::make_executor(std::move(plan), std::move(schedule), std::move(options));
  } else if (options.target == "sim") {
    if (options.threads != 0 || options.parallel_generation) {
      throw CompileError(
          "compile: CompileOptions::threads and ::parallel_generation apply to target \"cpu\" "
          "only (on sim the workers are the machine's cores and its host generates serially)");
    }
    impl_ = sim::make_executor(std::move(plan), std::move(schedule), std::move(options));
  } else {
    throw CompileError(
        fmt::format("compile: unknown target '{}' (available: cpu, sim)", options.target));
  }
}

Program::Program(Program&&) noexcept = default;
Program& Program::operator=(Program&&) noexcept = default;
Program::~Program() = default;

void Program::execute(const Bindings& values) {
  impl_->execute(values);
}
void Program::synchronize() {
  impl_->synchronize();
}
bool Program::is_complete() const {
  return impl_->is_complete();
}
ProgramStats Program::stats() const {
  return impl_->stats();
}
const std::vector<TaskEvent>& Program::task_log() const {
  return impl_->task_log();
}
const Plan& Program::plan() const {
  return impl_->plan();
}
const Schedule& Program::schedule() const {
  return impl_->schedule();
}
const CompileOptions& Program::options() const {
  return impl_->options();
}

Trace Program::trace() const {
  if (!options().record_tasks) {
    throw ExecutionError(
        "trace(): the program keeps no task log; compile with record_tasks = true");
  }
  Trace t;
  t.stats = stats();
  t.backend = t.stats.backend;
  t.workload = plan().type;
  t.schedule = schedule().to_string();
  for (std::size_t w = 0; w < t.stats.workers.size(); ++w) {
    std::string queues;
    for (int q : t.stats.workers[w].queues) {
      queues += fmt::format("{}{}", queues.empty() ? "" : ", ", q);
    }
    const std::string& name = t.stats.workers[w].name;
    t.worker_groups.push_back(t.stats.workers[w].group);
    t.worker_names.push_back(fmt::format("{} (queue{} {})",
                                         name.empty() ? fmt::format("worker {}", w) : name,
                                         t.stats.workers[w].queues.size() > 1 ? "s" : "", queues));
  }
  t.tasks = task_log();
  return t;
}

Program compile(const Workload& workload, const Schedule& schedule, CompileOptions options) {
  Plan plan = lower(workload, options.registry);
  return Program(std::move(plan), schedule, std::move(options));
}

Program compile(const Workload& workload, CompileOptions options) {
  return compile(workload, Schedule{}, std::move(options));
}

ScheduledWorkload Workload::dispatch(DispatchPolicy policy) const {
  return ScheduledWorkload(*this, Schedule{}.dispatch(std::move(policy)));
}
ScheduledWorkload Workload::queues(int n) const {
  return ScheduledWorkload(*this, Schedule{}.queues(n));
}
ScheduledWorkload Workload::streams(int n) const {
  return ScheduledWorkload(*this, Schedule{}.streams(n));
}
ScheduledWorkload Workload::stream_by(Key key) const {
  return ScheduledWorkload(*this, Schedule{}.stream_by(std::move(key)));
}
ScheduledWorkload Workload::timing(TimingPolicy policy) const {
  return ScheduledWorkload(*this, Schedule{}.timing(policy));
}
ScheduledWorkload Workload::task_graph(TaskWindow window) const {
  return ScheduledWorkload(*this, Schedule{}.task_graph(window));
}
ScheduledWorkload Workload::issue(IssuePolicy policy) const {
  return ScheduledWorkload(*this, Schedule{}.issue(std::move(policy)));
}

}  // namespace pto::wsp
