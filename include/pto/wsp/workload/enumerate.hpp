// The reference enumerator: lists a workload's tasks one by one, in program order, on one thread.
// It is the oracle the parallel generator is tested against, and what the demo prints.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp {

/// One kernel invocation with everything resolved: axis values, concrete views and scalars.
struct TaskInstance {
  int node = -1;  ///< the Plan node of the task
  const Kernel* kernel = nullptr;
  std::vector<AxisValue> axes;
  std::vector<Tensor> tensors;       ///< by parameter index (undefined for scalars)
  std::vector<ScalarValue> scalars;  ///< by parameter index (unused for tensors)

  TaskArgs args() const { return TaskArgs(kernel->signature(), tensors, scalars, axes); }
  /// "attn[b=1, h=2]".
  std::string name() const;
  /// "attn[b=1, h=2](Q=f32[64] @[1, 2, 0:64], scale=0.125)": views with their regions.
  std::string to_string() const;
};

/// Calls `visit` for every task of `plan` under `values`, in program order (loops in index order,
/// combine and sequential children in order, the branch a cond picks). Throws CompileError naming
/// the node, kernel and argument when a view falls outside its tensor or a size is negative.
void enumerate_tasks(const Plan& plan, const BoundValues& values,
                     const std::function<void(const TaskInstance&)>& visit);
std::vector<TaskInstance> enumerate_tasks(const Plan& plan, const BoundValues& values);

/// Resolves argument `arg` of the task of plan node `node` for the loop variables `vars` into
/// `out` (shared with the generator); throws CompileError naming the task, the argument and the
/// bound it broke.
void resolve_view(Tensor& out, const Plan& plan, int node, int arg, const BoundValues& values,
                  const std::int64_t* vars);

/// Fills `values.select_chains` (called by `bind`): the arguments whose views resolve_view can
/// replay from a compiled chain of selects.
void compile_select_chains(const Plan& plan, BoundValues& values);

namespace detail {
[[noreturn]] void raise_scalar_error(const PlanNode& task, const ExecutionError& e);
}

/// Fills the scalar argument `arg` of a task (shared with the generator; inline, as it runs for
/// every scalar argument of every task).
inline ScalarValue resolve_scalar(const PlanNode& task, int arg, const BoundValues& values,
                                  const std::int64_t* vars) {
  const PlanArg& a = task.args[static_cast<std::size_t>(arg)];
  if (a.float_is_const) return ScalarValue{true, 0, a.float_const};
  std::int64_t v = 0;
  try {
    v = a.int_value.evaluate(values.context(vars));
  } catch (const ExecutionError& e) {
    detail::raise_scalar_error(task, e);
  }
  return a.is_float ? ScalarValue{true, 0, static_cast<double>(v)} : ScalarValue{false, v, 0.0};
}

}  // namespace pto::wsp
