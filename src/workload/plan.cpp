// Lowering: resolve kernels, tensors, variables, symbols and arrays to indices, check every task
// against its kernel's signature, compile every expression; and binding run-time values to a Plan.
#include "pto/wsp/workload/plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/workload/enumerate.hpp"

namespace pto::wsp {
namespace {

int index_in(std::vector<std::string>& table, std::vector<std::string>& users,
             std::string_view name, const std::string& user) {
  auto it = std::find(table.begin(), table.end(), name);
  if (it != table.end()) return static_cast<int>(it - table.begin());
  table.emplace_back(name);
  users.push_back(user);
  return static_cast<int>(table.size()) - 1;
}

class Lowerer;

// Resolves expression leaves for one place in the tree; `where` names that place in errors.
class LowerScope final : public ExprScope {
 public:
  LowerScope(Lowerer& l, std::string where, bool allow_vars)
      : lowerer_(l), where_(std::move(where)), allow_vars_(allow_vars) {}
  int var_index(const VarDecl& var) override;
  int symbol_index(std::string_view name) override;
  int param_index(std::string_view name) override {
    throw CompileError(
        fmt::format("{}: param({}) refers to a task parameter, which only a schedule key can read",
                    where_, name));
  }
  int slot_index(std::string_view name) override;
  int array_index(std::string_view name) override;
  bool used_vars = false;

 private:
  Lowerer& lowerer_;
  std::string where_;
  bool allow_vars_;
};

class Lowerer {
 public:
  explicit Lowerer(const KernelRegistry* registry) : registry_(registry) {}

  Plan run(const Workload& w) {
    plan_.type = w.type_string();
    plan_.root = lower(w.root());
    return std::move(plan_);
  }

  Plan plan_;
  std::vector<std::pair<const VarDecl*, int>> scope_;  // innermost last

 private:
  ExprProgram compile(const Expr& e, const std::string& where, bool allow_vars = true,
                      bool* used_vars = nullptr) {
    LowerScope s(*this, where, allow_vars);
    ExprProgram p = ExprProgram::compile(e, s);
    if (used_vars) *used_vars = s.used_vars;
    return p;
  }

  int add_node(PlanNode n) {
    plan_.nodes.push_back(std::move(n));
    return static_cast<int>(plan_.nodes.size()) - 1;
  }

  std::vector<const ChannelDecl*> channel_decls_;
  int processes_open_ = 0;

  int lower(const Node& n) {
    return std::visit([&](const auto& d) { return lower_node(d); }, n.data);
  }

  int lower_node(const LoopNode& d) {
    std::vector<std::string> names;
    for (const Var& v : d.vars) names.push_back(v.name());
    PlanNode p;
    p.kind = NodeKind::Loop;
    p.loop = d.kind;
    p.axis = d.domain.axis.kind();
    p.label =
        fmt::format("{}({} in {})", name_of(d.kind), fmt::join(names, ", "), d.domain.to_string());
    const Axis& axis = d.domain.axis;
    const bool table_axis = axis.kind() == AxisKind::Ragged || axis.kind() == AxisKind::Sparse;
    // Ragged/Sparse row counts must be known at bind time so their tables can be checked.
    p.size = compile(axis.size(), p.label + " size", !table_axis, &p.size_uses_vars);
    if (axis.kind() == AxisKind::Ragged) {
      p.lengths = index_in(plan_.arrays, plan_.array_users, axis.lengths(), p.label);
    } else if (axis.kind() == AxisKind::Sparse) {
      p.indptr = index_in(plan_.arrays, plan_.array_users, axis.indptr(), p.label);
      p.indices = index_in(plan_.arrays, plan_.array_users, axis.indices(), p.label);
    }
    if (d.domain.row) {
      p.has_row = true;
      p.row = compile(*d.domain.row, p.label + " row");
    }
    const int depth = static_cast<int>(scope_.size());
    for (const Var& v : d.vars) bind_var(v, p.label);  // slots depth, depth + 1
    p.var0 = depth;
    p.var1 = d.vars.size() > 1 ? depth + 1 : -1;
    p.axis_names = names;
    const int self = add_node(std::move(p));
    const int body = lower(*d.body);
    plan_.nodes[self].body = body;
    for (std::size_t i = static_cast<std::size_t>(self) + 1; i < plan_.nodes.size(); ++i) {
      const NodeKind k = plan_.nodes[i].kind;
      if (k == NodeKind::Send || k == NodeKind::Consume || k == NodeKind::Query ||
          k == NodeKind::Pipeline)
        plan_.nodes[static_cast<std::size_t>(self)].has_csp = true;
    }
    scope_.resize(static_cast<std::size_t>(depth));
    return self;
  }

  int lower_node(const CondNode& d) {
    PlanNode p;
    p.kind = NodeKind::Cond;
    p.label = fmt::format("cond({})", d.pred.to_string());
    p.pred = compile(d.pred, p.label);
    const int self = add_node(std::move(p));
    const int then_branch = lower(*d.then_branch);
    const int else_branch = d.else_branch ? lower(*d.else_branch) : -1;
    plan_.nodes[self].then_branch = then_branch;
    plan_.nodes[self].else_branch = else_branch;
    return self;
  }

  template <typename T>
  int lower_group(const T& d, NodeKind kind) {
    PlanNode p;
    p.kind = kind;
    p.label = kind == NodeKind::Combine ? "combine" : "sequential";
    const int self = add_node(std::move(p));
    std::vector<int> children;
    for (const NodePtr& c : d.children) children.push_back(lower(*c));
    plan_.nodes[self].children = std::move(children);
    return self;
  }
  int lower_node(const CombineNode& d) { return lower_group(d, NodeKind::Combine); }

  // --- CSP ---------------------------------------------------------------------------------------
  int channel_index(const Channel& c) {
    for (std::size_t i = 0; i < channel_decls_.size(); ++i)
      if (channel_decls_[i] == c.id()) return static_cast<int>(i);
    channel_decls_.push_back(c.id());
    plan_.channels.push_back(PlanChannel{c.name(), c.depth()});
    return static_cast<int>(channel_decls_.size()) - 1;
  }

  void need_process(const char* what, const Channel& c) {
    if (processes_open_ == 0)
      throw CompileError(
          fmt::format("{} on channel '{}' outside a process: CSP steps belong in "
                      "the body of a process given to connect()",
                      what, c.name()));
  }

  /// Binds `var` for the lowering of a body; returns the slot.
  int bind_var(const Var& var, const std::string& where) {
    const VarDecl* decl = var.decl().get();
    for (const auto& [outer, slot] : scope_)
      if (outer == decl)
        throw CompileError(fmt::format("{}: variable '{}' is already bound by an enclosing loop",
                                       where, decl->name));
    const int slot = static_cast<int>(scope_.size());
    scope_.emplace_back(decl, slot);
    plan_.num_vars = std::max(plan_.num_vars, static_cast<int>(scope_.size()));
    return slot;
  }

  int lower_node(const SendNode& d) {
    need_process("send", d.channel);
    PlanNode p;
    p.kind = NodeKind::Send;
    p.channel = channel_index(d.channel);
    p.label = fmt::format("send({})", d.channel.name());
    if (!d.body) p.value = compile(*d.value, p.label + " token");
    const int self = add_node(std::move(p));
    if (d.body) {
      const int body = lower(*d.body);
      plan_.nodes[self].body = body;
    }
    return self;
  }

  int lower_node(const ConsumeNode& d) {
    need_process(d.once ? "synchronize" : "consume", d.channel);
    PlanNode p;
    p.kind = NodeKind::Consume;
    p.channel = channel_index(d.channel);
    p.once = d.once;
    PlanChannel& pc = plan_.channels[static_cast<std::size_t>(p.channel)];
    (d.once ? pc.synchronized : pc.consumed) = true;
    p.label = fmt::format("{}({})", d.once ? "synchronize" : "consume", d.channel.name());
    const std::size_t depth = scope_.size();
    p.var0 = bind_var(d.var, p.label);
    p.axis_names = {d.var.name()};
    const int self = add_node(std::move(p));
    if (d.body) {
      const int body = lower(*d.body);
      plan_.nodes[self].body = body;
    }
    scope_.resize(depth);
    return self;
  }

  int lower_node(const QueryNode& d) {
    need_process("query", d.event);
    PlanNode p;
    p.kind = NodeKind::Query;
    p.channel = channel_index(d.event);
    p.label = fmt::format("query({})", d.event.name());
    const int self = add_node(std::move(p));
    const int then_branch = lower(*d.then_branch);
    const int else_branch = d.else_branch ? lower(*d.else_branch) : -1;
    plan_.nodes[self].then_branch = then_branch;
    plan_.nodes[self].else_branch = else_branch;
    return self;
  }

  int lower_node(const PipelineNode& d) {
    PlanNode p;
    p.kind = NodeKind::Pipeline;
    std::vector<std::string> names;
    for (const ProcessDecl& proc : d.processes) names.push_back(proc.name);
    p.label = fmt::format("connect({})", fmt::join(names, ", "));
    const int self = static_cast<int>(plan_.nodes.size());
    for (const Channel& c : d.channels) {
      PlanChannel& pc = plan_.channels[static_cast<std::size_t>(channel_index(c))];
      if (pc.pipeline >= 0)
        throw CompileError(fmt::format("{}: channel '{}' is already connected by another connect()",
                                       p.label, c.name()));
      pc.pipeline = self;
    }
    add_node(std::move(p));
    std::vector<PlanProcess> processes;
    for (const ProcessDecl& proc : d.processes) {
      PlanProcess pp;
      pp.name = proc.name;
      pp.instances = proc.instances;
      for (const Channel& c : proc.consumes) pp.consumes.push_back(channel_index(c));
      for (const Channel& c : proc.produces) pp.produces.push_back(channel_index(c));
      const std::size_t depth = scope_.size();
      pp.instance_var = bind_var(proc.instance, fmt::format("process '{}'", proc.name));
      ++processes_open_;
      pp.body = lower(*proc.body);
      --processes_open_;
      scope_.resize(depth);
      processes.push_back(std::move(pp));
    }
    plan_.nodes[self].processes = std::move(processes);
    return self;
  }
  int lower_node(const SequentialNode& d) { return lower_group(d, NodeKind::Sequential); }

  const Kernel& resolve_kernel(const TaskNode& d, const std::string& where) {
    if (d.kernel) return *d.kernel;
    if (registry_ == nullptr) {
      throw CompileError(
          fmt::format("{}: kernel '{}' is named by string but no KernelRegistry "
                      "was given to resolve it",
                      where, d.kernel_name));
    }
    const Kernel* k = registry_->find(d.kernel_name);
    if (k == nullptr) {
      throw CompileError(fmt::format("{}: unknown kernel '{}' (registered: {})", where,
                                     d.kernel_name, fmt::join(registry_->names(), ", ")));
    }
    return *k;
  }

  int kernel_index(const Kernel& k, const std::string& where) {
    for (std::size_t i = 0; i < plan_.kernels.size(); ++i) {
      if (plan_.kernels[i].id() == k.id()) return static_cast<int>(i);
      if (plan_.kernels[i].name() == k.name()) {
        throw CompileError(
            fmt::format("{}: two different kernels are named '{}'", where, k.name()));
      }
    }
    plan_.kernels.push_back(k);
    return static_cast<int>(plan_.kernels.size()) - 1;
  }

  int tensor_index(const TensorDecl& decl, const std::string& where) {
    for (std::size_t i = 0; i < plan_.tensors.size(); ++i) {
      const TensorDecl& t = plan_.tensors[i];
      if (t.name != decl.name) continue;
      if (t.dtype != decl.dtype || t.rank != decl.rank || t.access != decl.access) {
        throw CompileError(fmt::format(
            "{}: two different tensors are named '{}' ({}, rank {} and {}, rank {})", where,
            decl.name, name_of(t.dtype), t.rank, name_of(decl.dtype), decl.rank));
      }
      return static_cast<int>(i);
    }
    plan_.tensors.push_back(decl);
    plan_.tensor_written.push_back(false);
    return static_cast<int>(plan_.tensors.size()) - 1;
  }

  int lower_node(const TaskNode& d) {
    std::vector<std::string> axis_names;
    for (const Var& v : d.axes) axis_names.push_back(v.name());
    PlanNode p;
    p.kind = NodeKind::Task;
    p.label = fmt::format("task {}[{}]", d.kernel_name, fmt::join(axis_names, ", "));
    const std::string& where = p.label;
    const Kernel& kernel = resolve_kernel(d, where);
    const KernelSignature& sig = kernel.signature();
    p.kernel = kernel_index(kernel, where);
    for (const Var& v : d.axes) {
      auto it = std::find_if(scope_.begin(), scope_.end(),
                             [&](const auto& e) { return e.first == v.decl().get(); });
      if (it == scope_.end()) {
        throw CompileError(
            fmt::format("{}: axis '{}' is not bound by an enclosing loop", where, v.name()));
      }
      p.axis_vars.push_back(it->second);
    }
    p.axis_names = std::move(axis_names);

    // Match arguments to parameters: positional first, then by name.
    const auto& params = sig.params();
    std::vector<const Arg*> by_param(params.size(), nullptr);
    std::vector<std::string> expected;
    for (const ParamSpec& ps : params) expected.push_back(ps.name);
    for (std::size_t i = 0; i < d.args.size(); ++i) {
      const Arg& a = d.args[i];
      int idx;
      if (a.name.empty()) {
        if (i >= params.size()) {
          throw CompileError(fmt::format("{}: {} arguments given but kernel {} takes {}", where,
                                         d.args.size(), sig.to_string(), params.size()));
        }
        idx = static_cast<int>(i);
      } else {
        idx = sig.find(a.name);
        if (idx < 0) {
          throw CompileError(
              fmt::format("{}: kernel '{}' has no parameter '{}' (expected one of "
                          "{})",
                          where, sig.name(), a.name, fmt::join(expected, ", ")));
        }
      }
      if (by_param[idx] != nullptr) {
        throw CompileError(fmt::format("{}: argument '{}' of kernel '{}' is given twice", where,
                                       params[idx].name, sig.name()));
      }
      by_param[idx] = &a;
    }
    p.args.resize(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const ParamSpec& ps = params[i];
      if (by_param[i] == nullptr) {
        throw CompileError(fmt::format("{}: argument '{}' ({}) of kernel '{}' is missing", where,
                                       ps.name, ps.to_string(), sig.name()));
      }
      p.args[i] = lower_arg(*by_param[i], ps, sig, where);
    }
    return add_node(std::move(p));
  }

  PlanArg lower_arg(const Arg& a, const ParamSpec& ps, const KernelSignature& sig,
                    const std::string& where) {
    const std::string arg_where =
        fmt::format("{}: argument '{}' of kernel '{}'", where, ps.name, sig.name());
    PlanArg out;
    out.kind = ps.kind;
    if (ps.kind == ParamKind::Scalar) {
      if (a.value.is_view()) {
        throw TypeCheckError(fmt::format("{}: expected a scalar ({}), got the tensor view {}",
                                         arg_where, ps.to_string(), a.value.to_string()));
      }
      out.is_float = is_float(*ps.dtype);
      if (a.value.is_float()) {
        if (!out.is_float) {
          throw TypeCheckError(fmt::format("{}: expected an integer ({}), got the float {}",
                                           arg_where, ps.to_string(), a.value.float_value()));
        }
        out.float_is_const = true;
        out.float_const = a.value.float_value();
      } else {
        out.int_value = compile(a.value.int_value(), arg_where);
      }
      return out;
    }
    if (!a.value.is_view()) {
      throw TypeCheckError(fmt::format("{}: expected a tensor view ({}), got the scalar {}",
                                       arg_where, ps.to_string(), a.value.to_string()));
    }
    const TensorRef& v = a.value.view();
    if (ps.dtype && *ps.dtype != v.dtype()) {
      throw TypeCheckError(fmt::format("{}: expected dtype {}, got {} view {}", arg_where,
                                       name_of(*ps.dtype), name_of(v.dtype()), v.to_string()));
    }
    if (ps.rank >= 0 && ps.rank != v.rank()) {
      throw TypeCheckError(fmt::format("{}: expected a view of rank {}, got {} of rank {}",
                                       arg_where, ps.rank, v.to_string(), v.rank()));
    }
    if (writes(ps.kind) && v.decl().access == TensorAccess::ReadOnly) {
      throw CompileError(
          fmt::format("{}: the parameter is {} but tensor '{}' is declared "
                      "read-only",
                      arg_where, name_of(ps.kind), v.decl().name));
    }
    out.tensor = tensor_index(v.decl(), arg_where);
    if (writes(ps.kind)) plan_.tensor_written[out.tensor] = true;
    out.view_text = v.to_string();
    for (const ViewOp& op : v.ops()) {
      PlanViewOp pop;
      pop.kind = op.kind;
      pop.dim = op.dim;
      pop.step = op.step;
      pop.begin = compile(op.begin, arg_where);
      if (op.kind == ViewOp::Kind::Slice) pop.end = compile(op.end, arg_where);
      out.view.push_back(std::move(pop));
    }
    return out;
  }

  const KernelRegistry* registry_;
};

int LowerScope::var_index(const VarDecl& var) {
  if (!allow_vars_) {
    throw CompileError(
        fmt::format("{}: uses loop variable '{}' but may only use constants and "
                    "symbols (its tables are checked when values are bound)",
                    where_, var.name));
  }
  for (auto it = lowerer_.scope_.rbegin(); it != lowerer_.scope_.rend(); ++it) {
    if (it->first == &var) {
      used_vars = true;
      return it->second;
    }
  }
  throw CompileError(
      fmt::format("{}: variable '{}' is used outside the loop that binds it", where_, var.name));
}
int LowerScope::symbol_index(std::string_view name) {
  return index_in(lowerer_.plan_.symbols, lowerer_.plan_.symbol_users, name, where_);
}
int LowerScope::slot_index(std::string_view name) {
  std::vector<std::string> unused;
  return index_in(lowerer_.plan_.slots, unused, name, where_);
}
int LowerScope::array_index(std::string_view name) {
  return index_in(lowerer_.plan_.arrays, lowerer_.plan_.array_users, name, where_);
}

}  // namespace

Plan lower(const Workload& workload, const KernelRegistry* registry) {
  return Lowerer(registry).run(workload);
}

// --- binding ---------------------------------------------------------------------------------

namespace {

constexpr std::int64_t kUnknown = -1;

class Binder {
 public:
  Binder(const Plan& plan, BoundValues& out) : plan_(plan), out_(out) {}

  // Checks tables and var-free sizes; returns an upper bound of the iterations below `node`
  // (kUnknown when it depends on a loop variable in a way we do not bound).
  void check(int node, std::int64_t outer_iterations) {
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(node)];
    switch (n.kind) {
      case NodeKind::Task:
        return;
      case NodeKind::Cond:
        check(n.then_branch, outer_iterations);
        if (n.else_branch >= 0) check(n.else_branch, outer_iterations);
        return;
      case NodeKind::Combine:
      case NodeKind::Sequential:
        for (int c : n.children) check(c, outer_iterations);
        return;
      case NodeKind::Send:
      case NodeKind::Consume:
        // A consumer's body runs once per item: the count is not known at bind time.
        if (n.body >= 0) check(n.body, kUnknown);
        return;
      case NodeKind::Query:
        check(n.then_branch, outer_iterations);
        if (n.else_branch >= 0) check(n.else_branch, outer_iterations);
        return;
      case NodeKind::Pipeline:
        for (const PlanProcess& p : n.processes) check(p.body, kUnknown);
        return;
      case NodeKind::Loop:
        break;
    }
    std::int64_t iterations = kUnknown;
    if (!n.size_uses_vars) {
      const std::int64_t size = eval_static(n.size, n.label);
      if (size < 0) {
        throw CompileError(fmt::format("{}: the size {} evaluated to {}; sizes must be >= 0",
                                       n.label, n.size.source(), size));
      }
      iterations = size;
      if (n.axis == AxisKind::Ragged) iterations = check_ragged(n, size);
      if (n.axis == AxisKind::Sparse) iterations = check_sparse(n, size);
    }
    std::int64_t total = kUnknown;
    if (iterations != kUnknown && outer_iterations != kUnknown &&
        __builtin_mul_overflow(iterations, outer_iterations, &total)) {
      throw CompileError(
          fmt::format("{}: the loop nest has {} x {} iterations, more than fit in "
                      "64 bits",
                      n.label, outer_iterations, iterations));
    }
    check(n.body, total);
  }

 private:
  std::int64_t eval_static(const ExprProgram& p, const std::string& where) {
    try {
      return p.evaluate(out_.context(nullptr));
    } catch (const ExecutionError& e) {
      throw CompileError(fmt::format("{}: {}", where, e.what()));
    }
  }

  // Returns the bound on the iterations of the loop: all rows for a whole axis, else the longest.
  std::int64_t check_ragged(const PlanNode& n, std::int64_t rows) {
    const auto& lengths = out_.array_values[static_cast<std::size_t>(n.lengths)];
    const std::string& name = plan_.arrays[static_cast<std::size_t>(n.lengths)];
    if (static_cast<std::int64_t>(lengths.size()) != rows) {
      throw CompileError(
          fmt::format("{}: Ragged lengths '{}' has {} entries but the outer size "
                      "is {}",
                      n.label, name, lengths.size(), rows));
    }
    std::int64_t sum = 0, longest = 0;
    for (std::size_t r = 0; r < lengths.size(); ++r) {
      if (lengths[r] < 0) {
        throw CompileError(fmt::format("{}: Ragged lengths '{}'[{}] is {}; lengths must be >= 0",
                                       n.label, name, r, lengths[r]));
      }
      if (__builtin_add_overflow(sum, lengths[r], &sum)) {
        throw CompileError(
            fmt::format("{}: Ragged lengths '{}' sum to more than fit in 64 bits", n.label, name));
      }
      longest = std::max(longest, lengths[r]);
    }
    return n.has_row ? longest : sum;
  }

  std::int64_t check_sparse(const PlanNode& n, std::int64_t rows) {
    const auto& indptr = out_.array_values[static_cast<std::size_t>(n.indptr)];
    const auto& indices = out_.array_values[static_cast<std::size_t>(n.indices)];
    const std::string& pname = plan_.arrays[static_cast<std::size_t>(n.indptr)];
    const std::string& iname = plan_.arrays[static_cast<std::size_t>(n.indices)];
    if (static_cast<std::int64_t>(indptr.size()) != rows + 1) {
      throw CompileError(
          fmt::format("{}: Sparse indptr '{}' has {} entries but the outer size "
                      "{} needs {}",
                      n.label, pname, indptr.size(), rows, rows + 1));
    }
    if (indptr[0] != 0) {
      throw CompileError(fmt::format("{}: Sparse indptr '{}' starts at {}, expected 0", n.label,
                                     pname, indptr[0]));
    }
    std::int64_t longest = 0;
    for (std::size_t r = 0; r + 1 < indptr.size(); ++r) {
      if (indptr[r + 1] < indptr[r]) {
        throw CompileError(
            fmt::format("{}: Sparse indptr '{}' is not monotone: entry {} is {} "
                        "but entry {} is {}",
                        n.label, pname, r, indptr[r], r + 1, indptr[r + 1]));
      }
      longest = std::max(longest, indptr[r + 1] - indptr[r]);
    }
    if (indptr.back() != static_cast<std::int64_t>(indices.size())) {
      throw CompileError(
          fmt::format("{}: Sparse indptr '{}' ends at {} but indices '{}' has {} "
                      "entries",
                      n.label, pname, indptr.back(), iname, indices.size()));
    }
    return n.has_row ? longest : static_cast<std::int64_t>(indices.size());
  }

  const Plan& plan_;
  BoundValues& out_;
};

}  // namespace

BoundValues bind(const Plan& plan, const Bindings& bindings) {
  BoundValues out;
  for (std::size_t i = 0; i < plan.symbols.size(); ++i) {
    const std::int64_t* v = bindings.symbol(plan.symbols[i]);
    if (v == nullptr) {
      throw CompileError(fmt::format("symbol '{}' is never bound (used by {})", plan.symbols[i],
                                     plan.symbol_users[i]));
    }
    out.symbols.push_back(*v);
  }
  for (std::size_t i = 0; i < plan.arrays.size(); ++i) {
    const std::vector<std::int64_t>* v = bindings.array(plan.arrays[i]);
    if (v == nullptr) {
      throw CompileError(fmt::format("array '{}' is never bound (used by {})", plan.arrays[i],
                                     plan.array_users[i]));
    }
    out.array_values.push_back(*v);
  }
  for (const auto& values : out.array_values) {
    out.arrays.push_back(IntArray{values.data(), static_cast<std::int64_t>(values.size())});
  }
  for (const std::string& name : plan.slots) {
    const std::int64_t* v = bindings.slot(name);
    out.slots.push_back(v ? *v : 0);
  }
  for (std::size_t i = 0; i < plan.tensors.size(); ++i) {
    const TensorDecl& decl = plan.tensors[i];
    const Tensor* t = bindings.tensor(decl.name);
    if (t == nullptr) throw CompileError(fmt::format("tensor '{}' is never bound", decl.name));
    if (t->dtype() != decl.dtype || t->rank() != decl.rank) {
      throw TypeCheckError(fmt::format("tensor '{}': declared {} of rank {}, bound to {}",
                                       decl.name, name_of(decl.dtype), decl.rank,
                                       t->type_string()));
    }
    if (plan.tensor_written[i] && !t->writable()) {
      throw CompileError(
          fmt::format("tensor '{}' is written by the workload but bound to a "
                      "read-only tensor",
                      decl.name));
    }
    out.tensors.push_back(*t);
  }
  Binder(plan, out).check(plan.root, 1);
  compile_select_chains(plan, out);
  return out;
}

}  // namespace pto::wsp
