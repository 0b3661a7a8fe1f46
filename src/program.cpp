// compile() and the Program facade over the backends.
#include "pto/wsp/program.hpp"

#include <fmt/format.h>

#include "backends/cpu/cpu_executor.hpp"
#include "engine/executor.hpp"
#include "pto/wsp/core/error.hpp"

namespace pto::wsp {

Program::Program(Plan plan, CompileOptions options) {
  if (options.target == "cpu") {
    impl_ = cpu::make_executor(std::move(plan), std::move(options));
  } else {
    throw CompileError(
        fmt::format("compile: unknown target '{}' (available: cpu)", options.target));
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
const CompileOptions& Program::options() const {
  return impl_->options();
}

Program compile(const Workload& workload, CompileOptions options) {
  Plan plan = lower(workload, options.registry);
  return Program(std::move(plan), std::move(options));
}

std::string ProgramStats::to_string() const {
  std::string out = fmt::format("tasks {}  makespan {:.3f} ms  generation {:.3f} ms", tasks,
                                makespan_ns / 1e6, generation_ns / 1e6);
  if (helper_chunks > 0) out += fmt::format(" ({} chunks by helpers)", helper_chunks);
  for (std::size_t w = 0; w < workers.size(); ++w) {
    const double util = makespan_ns > 0 ? 100.0 * workers[w].busy_ns / makespan_ns : 0.0;
    out += fmt::format("\n  worker {}: {} tasks, {:.3f} ms busy ({:.0f}%)", w, workers[w].tasks,
                       workers[w].busy_ns / 1e6, util);
  }
  return out;
}

}  // namespace pto::wsp
