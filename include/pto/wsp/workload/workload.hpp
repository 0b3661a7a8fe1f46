// The workload IR: a tree of loops, conditions, compositions and kernel invocations, built at run
// time (by the C++ builder below or by the Python frontend) and printed as a type and a tree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "pto/wsp/core/axis.hpp"
#include "pto/wsp/core/expr.hpp"
#include "pto/wsp/csp/channel.hpp"
#include "pto/wsp/kernel/kernel.hpp"
#include "pto/wsp/schedule/schedule.hpp"
#include "pto/wsp/workload/tensor_ref.hpp"

namespace pto::wsp {

class ScheduledWorkload;

/// Every node kind of the IR. X-macro: (enumerator, builder name).
#define PTO_WSP_NODE_KINDS(X) \
  X(Task, "task")             \
  X(Loop, "loop")             \
  X(Cond, "cond")             \
  X(Combine, "combine")       \
  X(Sequential, "sequential") \
  X(Send, "send")             \
  X(Consume, "consume")       \
  X(Query, "query")           \
  X(Pipeline, "connect")

enum class NodeKind : std::uint8_t {
#define PTO_WSP_NODE_ENUM(name, text) name,
  PTO_WSP_NODE_KINDS(PTO_WSP_NODE_ENUM)
#undef PTO_WSP_NODE_ENUM
};

/// parallel_for: independent bodies; for_each: body i+1 after body i; select: one independent
/// body per index a Sparse row selects.
enum class LoopKind : std::uint8_t { Parallel, ForEach, Select };

std::string_view name_of(LoopKind kind) noexcept;

/// The value of a kernel argument: a symbolic view, an integer expression or a float constant.
class ArgValue {
 public:
  ArgValue(TensorRef view) : value_(std::move(view)) {}  // NOLINT: implicit by design
  ArgValue(Expr value) : value_(std::move(value)) {}     // NOLINT
  ArgValue(Var value) : value_(Expr(value)) {}           // NOLINT
  ArgValue(std::int64_t value) : value_(Expr(value)) {}  // NOLINT
  ArgValue(int value) : value_(Expr(value)) {}           // NOLINT
  ArgValue(double value) : value_(value) {}              // NOLINT

  bool is_view() const noexcept { return std::holds_alternative<TensorRef>(value_); }
  bool is_int() const noexcept { return std::holds_alternative<Expr>(value_); }
  bool is_float() const noexcept { return std::holds_alternative<double>(value_); }
  const TensorRef& view() const { return std::get<TensorRef>(value_); }
  const Expr& int_value() const { return std::get<Expr>(value_); }
  double float_value() const { return std::get<double>(value_); }
  std::string to_string() const;

 private:
  std::variant<TensorRef, Expr, double> value_;
};

/// One argument of a task: named (`{"Q", Q[b]}`) or positional (`Q[b]`, before any named one).
struct Arg {
  Arg(ArgValue v) : value(std::move(v)) {}   // NOLINT: positional
  Arg(TensorRef v) : value(std::move(v)) {}  // NOLINT
  Arg(Expr v) : value(std::move(v)) {}       // NOLINT
  Arg(Var v) : value(std::move(v)) {}        // NOLINT
  Arg(double v) : value(v) {}                // NOLINT
  Arg(std::int64_t v) : value(v) {}          // NOLINT
  Arg(int v) : value(v) {}                   // NOLINT
  Arg(std::string n, ArgValue v) : name(std::move(n)), value(std::move(v)) {}
  Arg(const char* n, ArgValue v) : name(n), value(std::move(v)) {}
  std::string name;  ///< empty: positional
  ArgValue value;
};

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct TaskNode {
  std::optional<Kernel> kernel;  ///< held kernel, or
  std::string kernel_name;       ///< a name resolved through a KernelRegistry at lowering
  std::vector<Var> axes;
  std::vector<Arg> args;
};

struct LoopNode {
  LoopKind kind = LoopKind::Parallel;
  Domain domain;
  std::vector<Var> vars;  ///< domain.arity() variables
  NodePtr body;
};

struct CondNode {
  Expr pred;
  NodePtr then_branch;
  NodePtr else_branch;  ///< may be null: nothing runs when pred is false
};

struct CombineNode {
  std::vector<NodePtr> children;
};

struct SequentialNode {
  std::vector<NodePtr> children;
};

/// CSP (pto/wsp/csp/pipeline.hpp): put an item on a channel: a sub-workload, or a token carrying
/// `value` (body null).
struct SendNode {
  Channel channel;
  NodePtr body;
  std::optional<Expr> value;
};

/// CSP: run `body` once per item of `channel`, in send order, binding `var` to the item's value;
/// until the channel is closed and drained, or (synchronize) for one item with no body.
struct ConsumeNode {
  Channel channel;
  Var var;
  NodePtr body;  ///< null: synchronize (wait for one token)
  bool once = false;
};

/// CSP: `then_branch` when the event has been recorded at this point of program order.
struct QueryNode {
  Channel event;
  NodePtr then_branch;
  NodePtr else_branch;  ///< may be null
};

struct ProcessDecl {
  std::string name;
  std::vector<Channel> consumes, produces;
  NodePtr body;
  int instances = 1;
  Var instance{"instance"};  ///< bound to 0..instances-1 in each instance's body
};

/// CSP: processes connected by channels, generated as interleaved, communicating task streams.
struct PipelineNode {
  std::vector<ProcessDecl> processes;
  std::vector<Channel> channels;
};

struct Node {
  std::variant<TaskNode, LoopNode, CondNode, CombineNode, SequentialNode, SendNode, ConsumeNode,
               QueryNode, PipelineNode>
      data;
  NodeKind kind() const noexcept { return static_cast<NodeKind>(data.index()); }
};

/// A workload: an immutable IR tree. Cheap to copy; sub-workloads are shared, not copied.
class Workload {
 public:
  explicit Workload(NodePtr root);
  const Node& root() const noexcept { return *root_; }
  const NodePtr& root_ptr() const noexcept { return root_; }
  /// e.g. "Workload[DenseDyn × Dense[8], attn, Independent]": the axes of the outer loop nest,
  /// the kernels it invokes, and the structural dependencies it contains.
  std::string type_string() const;
  /// An indented tree, one node per line.
  std::string tree_string() const;

  /// Schedule combinators (DESIGN §4.4): each returns the workload with a schedule
  /// (pto/wsp/program.hpp), on which the other combinators and compile() chain.
  ScheduledWorkload dispatch(DispatchPolicy policy) const;
  ScheduledWorkload queues(int n) const;
  ScheduledWorkload streams(int n) const;
  ScheduledWorkload stream_by(Key key) const;
  ScheduledWorkload timing(TimingPolicy policy) const;
  ScheduledWorkload task_graph(TaskWindow window) const;
  ScheduledWorkload issue(IssuePolicy policy) const;

 private:
  NodePtr root_;
};

// --- the C++ builder ---------------------------------------------------------------------------

Workload task(const Kernel& kernel, std::vector<Var> axes, std::vector<Arg> args);
/// A task whose kernel is looked up by name in the KernelRegistry given at lowering.
Workload task(std::string kernel_name, std::vector<Var> axes, std::vector<Arg> args);
Workload make_loop(LoopKind kind, Domain domain, std::vector<Var> vars, const Workload& body);
Workload cond(Expr pred, const Workload& then_branch);
Workload cond(Expr pred, const Workload& then_branch, const Workload& else_branch);
Workload combine(std::vector<Workload> parts);
Workload sequential(std::vector<Workload> parts);

namespace detail {

template <typename F>
Workload build_loop(LoopKind kind, Domain domain, std::vector<std::string> names, F&& body) {
  if constexpr (std::is_invocable_v<F, Var>) {
    Var v(names.at(0));
    return make_loop(kind, std::move(domain), {v}, Workload(body(v)));
  } else {
    static_assert(std::is_invocable_v<F, Var, Var>, "a loop body takes one or two Var");
    Var r(names.at(0));
    Var v(names.at(1));
    return make_loop(kind, std::move(domain), {r, v}, Workload(body(r, v)));
  }
}

template <typename F>
std::vector<std::string> default_names(const char* single) {
  if constexpr (std::is_invocable_v<F, Var>) return {single};
  return {"r", single};
}

}  // namespace detail

/// parallel_for(axis, "b", [&](Var b) { return ...; }): one independent body per index. A whole
/// Ragged/Sparse axis binds (row, value): parallel_for(kv, "r", "t", [&](Var r, Var t) {...}).
template <typename F>
Workload parallel_for(Domain domain, std::string name, F&& body) {
  return detail::build_loop(LoopKind::Parallel, std::move(domain), {std::move(name)}, body);
}
template <typename F>
Workload parallel_for(Domain domain, std::string row, std::string name, F&& body) {
  return detail::build_loop(LoopKind::Parallel, std::move(domain),
                            {std::move(row), std::move(name)}, body);
}
template <typename F>
Workload parallel_for(Domain domain, F&& body) {
  return detail::build_loop(LoopKind::Parallel, std::move(domain), detail::default_names<F>("i"),
                            body);
}

/// for_each(axis, "t", body): body i+1 starts after body i has finished.
template <typename F>
Workload for_each(Domain domain, std::string name, F&& body) {
  return detail::build_loop(LoopKind::ForEach, std::move(domain), {std::move(name)}, body);
}
template <typename F>
Workload for_each(Domain domain, std::string row, std::string name, F&& body) {
  return detail::build_loop(LoopKind::ForEach, std::move(domain), {std::move(row), std::move(name)},
                            body);
}
template <typename F>
Workload for_each(Domain domain, F&& body) {
  return detail::build_loop(LoopKind::ForEach, std::move(domain), detail::default_names<F>("i"),
                            body);
}

/// select(row(experts, e), "tok", body): one independent body per index the Sparse row selects.
template <typename F>
Workload select(Domain domain, std::string name, F&& body) {
  return detail::build_loop(LoopKind::Select, std::move(domain), {std::move(name)}, body);
}
template <typename F>
Workload select(Domain domain, std::string row, std::string name, F&& body) {
  return detail::build_loop(LoopKind::Select, std::move(domain), {std::move(row), std::move(name)},
                            body);
}

}  // namespace pto::wsp
