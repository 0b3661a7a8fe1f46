// Kernel and cost-function calls with the task named in errors.
#include "engine/kernel_call.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp::engine {
namespace {

std::string task_name(const Kernel& k, std::span<const AxisValue> axes) {
  std::string name = k.name() + "[";
  for (std::size_t a = 0; a < axes.size(); ++a) {
    name += fmt::format("{}{}={}", a ? ", " : "", axes[a].name, axes[a].value);
  }
  return name + "]";
}

}  // namespace

std::vector<KernelStats> kernel_stats(const Plan& plan, std::span<const NodeTotals> nodes) {
  std::vector<KernelStats> out;
  for (std::size_t n = 0; n < nodes.size() && n < plan.nodes.size(); ++n) {
    if (nodes[n].tasks == 0) continue;
    const std::string& name = plan.kernels[static_cast<std::size_t>(plan.nodes[n].kernel)].name();
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const KernelStats& k) { return k.kernel == name; });
    if (it == out.end()) it = out.insert(out.end(), KernelStats{name, 0, 0});
    it->tasks += nodes[n].tasks;
    it->busy_ns += nodes[n].busy_ns;
  }
  return out;
}

TaskEvent task_event(const Plan& plan, const TaskRecord& t, int worker, std::int64_t start,
                     std::int64_t end) {
  const PlanNode& n = plan.nodes[static_cast<std::size_t>(t.payload.node)];
  TaskEvent e;
  e.id = t.id;
  e.node = t.payload.node;
  e.kernel = plan.kernels[static_cast<std::size_t>(n.kernel)].name();
  for (int a = 0; a < t.payload.num_axes; ++a) {
    e.axes.emplace_back(n.axis_names[static_cast<std::size_t>(a)], t.payload.axis_values[a]);
  }
  e.worker = worker;
  e.queue = t.queue;
  e.home_queue = t.home_queue;
  e.stream = t.stream;
  e.issue_seq = t.issue_seq;
  e.issue_group = t.issue_group;
  e.priority = t.priority;
  e.gen_ns = t.gen_ns;
  e.ready_ns = t.ready_ns;
  e.issue_ns = t.issue_ns;
  e.start_ns = start;
  e.end_ns = end;
  e.done_ns = end;
  e.deps = t.deps;
  return e;
}

void call_kernel(const Plan& plan, const TaskPayload& task) {
  const PlanNode& n = plan.nodes[static_cast<std::size_t>(task.node)];
  const Kernel& k = plan.kernels[static_cast<std::size_t>(n.kernel)];
  const TaskAxes axes(n, task);
  try {
    k.fn()(TaskArgs(k.signature(), task.tensors, task.scalars, axes.span()));
  } catch (const std::exception& e) {
    throw KernelError(
        fmt::format("task {}: kernel raised: {}", task_name(k, axes.span()), e.what()));
  }
}

KernelCost call_cost(const Plan& plan, const TaskPayload& task) {
  const PlanNode& n = plan.nodes[static_cast<std::size_t>(task.node)];
  const Kernel& k = plan.kernels[static_cast<std::size_t>(n.kernel)];
  const TaskAxes axes(n, task);
  try {
    return k.cost()(TaskArgs(k.signature(), task.tensors, task.scalars, axes.span()));
  } catch (const std::exception& e) {
    throw KernelError(
        fmt::format("task {}: cost function raised: {}", task_name(k, axes.span()), e.what()));
  }
}

}  // namespace pto::wsp::engine
