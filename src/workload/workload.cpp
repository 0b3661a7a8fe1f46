// Builder functions (node constructors check their invariants) and the workload type string.
#include "pto/wsp/workload/workload.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {

std::string_view name_of(LoopKind kind) noexcept {
  switch (kind) {
    case LoopKind::Parallel:
      return "parallel_for";
    case LoopKind::ForEach:
      return "for_each";
    case LoopKind::Select:
      return "select";
  }
  return "?";
}

std::string ArgValue::to_string() const {
  if (is_view()) return view().to_string();
  if (is_int()) return int_value().to_string();
  return fmt::format("{}", float_value());
}

Workload::Workload(NodePtr root) : root_(std::move(root)) {
  if (!root_) throw CompileError("Workload: the root node is null");
}

namespace {

Workload make(auto&& data) {
  auto node = std::make_shared<Node>();
  node->data = std::forward<decltype(data)>(data);
  return Workload(std::move(node));
}

void check_task_args(const std::string& kernel, const std::vector<Arg>& args) {
  bool named_seen = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].name.empty() && named_seen) {
      throw CompileError(
          fmt::format("task {}: positional argument {} ({}) follows a named argument", kernel, i,
                      args[i].value.to_string()));
    }
    named_seen = named_seen || !args[i].name.empty();
  }
}

}  // namespace

Workload task(const Kernel& kernel, std::vector<Var> axes, std::vector<Arg> args) {
  check_task_args(kernel.name(), args);
  return make(TaskNode{kernel, kernel.name(), std::move(axes), std::move(args)});
}

Workload task(std::string kernel_name, std::vector<Var> axes, std::vector<Arg> args) {
  if (kernel_name.empty()) throw CompileError("task: the kernel name must not be empty");
  check_task_args(kernel_name, args);
  return make(TaskNode{std::nullopt, std::move(kernel_name), std::move(axes), std::move(args)});
}

Workload make_loop(LoopKind kind, Domain domain, std::vector<Var> vars, const Workload& body) {
  const std::string where = fmt::format("{}({})", name_of(kind), domain.to_string());
  if (static_cast<int>(vars.size()) != domain.arity()) {
    throw CompileError(fmt::format("{}: the body takes {} variable(s) but the domain binds {}",
                                   where, vars.size(), domain.arity()));
  }
  if (kind == LoopKind::Select && domain.axis.kind() != AxisKind::Sparse) {
    throw CompileError(fmt::format("{}: select iterates a Sparse axis or row, not a {} axis", where,
                                   domain.axis.type_string()));
  }
  return make(LoopNode{kind, std::move(domain), std::move(vars), body.root_ptr()});
}

Workload cond(Expr pred, const Workload& then_branch) {
  return make(CondNode{std::move(pred), then_branch.root_ptr(), nullptr});
}

Workload cond(Expr pred, const Workload& then_branch, const Workload& else_branch) {
  return make(CondNode{std::move(pred), then_branch.root_ptr(), else_branch.root_ptr()});
}

namespace {
std::vector<NodePtr> roots(const std::vector<Workload>& parts, const char* op) {
  if (parts.empty()) throw CompileError(fmt::format("{}: needs at least one workload", op));
  std::vector<NodePtr> out;
  out.reserve(parts.size());
  for (const Workload& w : parts) out.push_back(w.root_ptr());
  return out;
}
}  // namespace

Workload combine(std::vector<Workload> parts) {
  return make(CombineNode{roots(parts, "combine")});
}

Workload sequential(std::vector<Workload> parts) {
  return make(SequentialNode{roots(parts, "sequential")});
}

// --- type string -----------------------------------------------------------------------------

namespace {

struct TypeSummary {
  std::vector<std::string> kernels;  // first-seen order
  std::set<std::string> seen;
  bool for_each = false, sequential = false, combine = false, cond = false, pipelined = false;

  void visit(const Node& n) {
    std::visit(
        [&](const auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, TaskNode>) {
            if (seen.insert(d.kernel_name).second) kernels.push_back(d.kernel_name);
          } else if constexpr (std::is_same_v<T, LoopNode>) {
            for_each = for_each || d.kind == LoopKind::ForEach;
            visit(*d.body);
          } else if constexpr (std::is_same_v<T, CondNode>) {
            cond = true;
            visit(*d.then_branch);
            if (d.else_branch) visit(*d.else_branch);
          } else if constexpr (std::is_same_v<T, CombineNode> ||
                               std::is_same_v<T, SequentialNode>) {
            (std::is_same_v<T, CombineNode> ? combine : sequential) = true;
            for (const NodePtr& c : d.children) visit(*c);
          } else if constexpr (std::is_same_v<T, SendNode>) {
            if (d.body) visit(*d.body);
          } else if constexpr (std::is_same_v<T, ConsumeNode>) {
            if (d.body) visit(*d.body);
          } else if constexpr (std::is_same_v<T, QueryNode>) {
            cond = true;
            visit(*d.then_branch);
            if (d.else_branch) visit(*d.else_branch);
          } else {
            static_assert(std::is_same_v<T, PipelineNode>);
            pipelined = true;
            for (const ProcessDecl& p : d.processes) visit(*p.body);
          }
        },
        n.data);
  }

  std::string deps() const {
    std::vector<std::string> parts;
    if (for_each) parts.emplace_back("Sequential");
    if (sequential) parts.emplace_back("Barrier");
    if (combine) parts.emplace_back("Combined");
    if (cond) parts.emplace_back("Conditional");
    if (pipelined) parts.emplace_back("Pipelined");
    if (parts.empty()) return "Independent";
    return fmt::format("{}", fmt::join(parts, "+"));
  }
};

}  // namespace

std::string Workload::type_string() const {
  std::vector<std::string> axes;
  const Node* n = root_.get();
  while (const auto* loop = std::get_if<LoopNode>(&n->data)) {
    axes.push_back(loop->domain.axis.type_string());
    n = loop->body.get();
  }
  TypeSummary summary;
  summary.visit(*root_);
  std::string out = "Workload[";
  if (!axes.empty()) out += fmt::format("{}, ", fmt::join(axes, " × "));
  out += fmt::format("{}, {}]", fmt::join(summary.kernels, "|"), summary.deps());
  return out;
}

}  // namespace pto::wsp
