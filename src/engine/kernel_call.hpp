// Calling a task's kernel (and its cost function) with its resolved arguments: shared by the
// backends so that both name a failing task the same way.
#pragma once

#include <memory>
#include <span>

#include "engine/engine.hpp"
#include "engine/task_payload.hpp"
#include "pto/wsp/program.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

/// The axis values of a task, named, on the stack (built for every kernel and cost call: only the
/// task's axes are written, the rest of the storage is left uninitialised).
class TaskAxes {
 public:
  TaskAxes(const PlanNode& node, const TaskPayload& task) : n_(task.num_axes) {
    for (int a = 0; a < n_; ++a) {
      std::construct_at(&storage_.axes[a], AxisValue{node.axis_names[static_cast<std::size_t>(a)],
                                                     task.axis_values[a]});
    }
  }
  std::span<const AxisValue> span() const noexcept {
    return {storage_.axes, static_cast<std::size_t>(n_)};
  }

 private:
  union Storage {
    Storage() {}                   // leaves `axes` uninitialised
    AxisValue axes[kMaxTaskAxes];  // the first n_ are constructed
  } storage_;
  int n_;
};

/// What a backend counts per plan node: tasks run and their summed time.
struct NodeTotals {
  std::int64_t tasks = 0;
  std::int64_t busy_ns = 0;
};
/// ProgramStats::kernels from per-node totals (indexed by plan node): nodes that call one kernel
/// are summed; kernels that ran no task are left out.
std::vector<KernelStats> kernel_stats(const Plan& plan, std::span<const NodeTotals> nodes);

/// The log entry of a finished task (times on the backend's clock).
TaskEvent task_event(const Plan& plan, const TaskRecord& t, int worker, std::int64_t start,
                     std::int64_t end);

/// Runs the task's kernel; a kernel that throws becomes KernelError("task attn[b=1, h=2]: kernel
/// raised: ...").
void call_kernel(const Plan& plan, const TaskPayload& task);

/// The task's cost from its kernel's cost function (which must exist).
KernelCost call_cost(const Plan& plan, const TaskPayload& task);

}  // namespace pto::wsp::engine
