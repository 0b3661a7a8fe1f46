// The single-threaded reference enumeration of a Plan's tasks in program order.
#include "pto/wsp/workload/enumerate.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {
namespace {

std::string task_name(const PlanNode& n, const Kernel& k, const std::int64_t* vars) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < n.axis_vars.size(); ++i) {
    parts.push_back(fmt::format("{}={}", n.axis_names[i], vars[n.axis_vars[i]]));
  }
  return fmt::format("{}[{}]", k.name(), fmt::join(parts, ", "));
}

class Enumerator {
 public:
  Enumerator(const Plan& plan, const BoundValues& values,
             const std::function<void(const TaskInstance&)>& visit)
      : plan_(plan),
        values_(values),
        visit_(visit),
        vars_(static_cast<std::size_t>(std::max(plan.num_vars, 1)), 0),
        names_(vars_.size()) {}

  void run() { walk(plan_.root); }

 private:
  std::int64_t eval(const ExprProgram& p, const PlanNode& where) {
    try {
      return p.evaluate(values_.context(vars_.data()));
    } catch (const ExecutionError& e) {
      throw CompileError(fmt::format("{} at {}: {}", where.label, bindings_text(), e.what()));
    }
  }

  // "b=2, t=0": the loop variables bound where an error happened.
  std::string bindings_text() const {
    std::vector<std::string> parts;
    for (int i = 0; i < depth_; ++i) parts.push_back(fmt::format("{}={}", names_[i], vars_[i]));
    return fmt::format("{}", fmt::join(parts, ", "));
  }

  void walk(int index) {
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(index)];
    switch (n.kind) {
      case NodeKind::Task:
        emit(index, n);
        return;
      case NodeKind::Cond:
        if (eval(n.pred, n) != 0) {
          walk(n.then_branch);
        } else if (n.else_branch >= 0) {
          walk(n.else_branch);
        }
        return;
      case NodeKind::Combine:
      case NodeKind::Sequential:
        for (int c : n.children) walk(c);
        return;
      case NodeKind::Loop:
        loop(n);
        return;
      case NodeKind::Send:
      case NodeKind::Consume:
      case NodeKind::Query:
      case NodeKind::Pipeline:
        // How many items a channel carries is decided by interleaving the processes, which the
        // engine's generator does (engine/generator.cpp); this reference walk does not repeat it.
        throw CompileError(fmt::format(
            "{}: enumerate_tasks does not expand CSP pipelines; compile and run the workload "
            "(Program::task_log lists its tasks)",
            n.label));
    }
  }

  void loop(const PlanNode& n) {
    const std::int64_t size = eval(n.size, n);
    if (size < 0) {
      throw CompileError(fmt::format("{}: the size {} evaluated to {}; sizes must be >= 0", n.label,
                                     n.size.source(), size));
    }
    const std::int64_t row = n.has_row ? row_of(n, size) : 0;
    const int saved_depth = depth_;
    depth_ = n.var0 + (n.var1 >= 0 ? 2 : 1);
    names_[n.var0] = n.axis_names[0];
    if (n.var1 >= 0) names_[n.var1] = n.axis_names[1];
    switch (n.axis) {
      case AxisKind::Dense:
      case AxisKind::DenseDyn:
        for (std::int64_t i = 0; i < size; ++i) {
          vars_[n.var0] = i;
          walk(n.body);
        }
        break;
      case AxisKind::Ragged: {
        const IntArray& len = values_.arrays[n.lengths];
        if (n.has_row) {
          for (std::int64_t i = 0; i < len.data[row]; ++i) {
            vars_[n.var0] = i;
            walk(n.body);
          }
        } else {
          for (std::int64_t r = 0; r < size; ++r) {
            for (std::int64_t i = 0; i < len.data[r]; ++i) {
              vars_[n.var0] = r;
              vars_[n.var1] = i;
              walk(n.body);
            }
          }
        }
        break;
      }
      case AxisKind::Sparse: {
        const IntArray& indptr = values_.arrays[n.indptr];
        const IntArray& indices = values_.arrays[n.indices];
        const std::int64_t first = n.has_row ? row : 0;
        const std::int64_t last = n.has_row ? first + 1 : size;
        for (std::int64_t r = first; r < last; ++r) {
          for (std::int64_t k = indptr.data[r]; k < indptr.data[r + 1]; ++k) {
            if (n.has_row) {
              vars_[n.var0] = indices.data[k];
            } else {
              vars_[n.var0] = r;
              vars_[n.var1] = indices.data[k];
            }
            walk(n.body);
          }
        }
        break;
      }
    }
    depth_ = saved_depth;
  }

  std::int64_t row_of(const PlanNode& n, std::int64_t rows) {
    const std::int64_t r = eval(n.row, n);
    if (r < 0 || r >= rows) {
      throw CompileError(
          fmt::format("{} at {}: row {} is outside [0, {})", n.label, bindings_text(), r, rows));
    }
    return r;
  }

  void emit(int index, const PlanNode& n) {
    const Kernel& k = plan_.kernels[static_cast<std::size_t>(n.kernel)];
    task_.node = index;
    task_.kernel = &k;
    task_.axes.clear();
    for (std::size_t i = 0; i < n.axis_vars.size(); ++i) {
      task_.axes.push_back(AxisValue{n.axis_names[i], vars_[n.axis_vars[i]]});
    }
    const std::size_t nargs = n.args.size();
    task_.tensors.assign(nargs, Tensor());
    task_.scalars.assign(nargs, ScalarValue{});
    for (std::size_t i = 0; i < nargs; ++i) {
      if (n.args[i].kind != ParamKind::Scalar) {
        resolve_view(task_.tensors[i], plan_, index, static_cast<int>(i), values_, vars_.data());
      } else {
        task_.scalars[i] = resolve_scalar(n, static_cast<int>(i), values_, vars_.data());
      }
    }
    visit_(task_);
  }

  const Plan& plan_;
  const BoundValues& values_;
  const std::function<void(const TaskInstance&)>& visit_;
  std::vector<std::int64_t> vars_;
  std::vector<std::string_view> names_;  ///< name of the variable in each slot
  int depth_ = 0;
  TaskInstance task_;
};

}  // namespace

void compile_select_chains(const Plan& plan, BoundValues& values) {
  values.select_chains.assign(plan.nodes.size(), {});
  for (std::size_t n = 0; n < plan.nodes.size(); ++n) {
    const PlanNode& node = plan.nodes[n];
    if (node.kind != NodeKind::Task) continue;
    auto& chains = values.select_chains[n];
    chains.resize(node.args.size());
    for (std::size_t i = 0; i < node.args.size(); ++i) {
      const PlanArg& a = node.args[i];
      if (a.kind == ParamKind::Scalar || a.tensor < 0) continue;
      SelectChain c;
      c.result = values.tensors[static_cast<std::size_t>(a.tensor)];
      bool ok = true;
      for (std::size_t k = 0; k < a.view.size(); ++k) {
        const PlanViewOp& op = a.view[k];
        ok = op.kind == ViewOp::Kind::Select && op.dim >= 0 && op.dim < c.result.rank() &&
             c.result.size(op.dim) > 0;
        if (!ok) break;
        const Tensor::SelectEffect e = c.result.select_effect(op.dim);
        const auto& code = op.begin.code();
        if (op.begin.is_constant()) {
          // A constant index is the same for every task: applied once here (out of range: the
          // general path reports it for each task, as without a chain).
          const std::int64_t index = op.begin.constant_value();
          ok = index >= 0 && index < e.extent;
          if (!ok) break;
          c.result.select_in_place(op.dim, index);
          continue;
        }
        const int var =
            code.size() == 1 && code[0].code == ExprProgram::Code::PushVar ? code[0].index : -1;
        c.steps.push_back(
            SelectChain::Step{static_cast<int>(k), var, e.root_dim, e.step, e.extent});
        c.result.select_in_place(op.dim, 0);
      }
      if (!ok) continue;
      c.simple = std::all_of(c.steps.begin(), c.steps.end(),
                             [](const SelectChain::Step& s) { return s.var >= 0; });
      chains[i] = std::move(c);
    }
  }
}

void resolve_view(Tensor& out, const Plan& plan, int node, int arg, const BoundValues& values,
                  const std::int64_t* vars) {
  const PlanNode& task = plan.nodes[static_cast<std::size_t>(node)];
  const PlanArg& a = task.args[static_cast<std::size_t>(arg)];
  const EvalContext ctx = values.context(vars);
  // The common case: a compiled chain of selects, every index inside its extent. Anything else
  // (an index out of range, an expression that raises) takes the general path below, which
  // reports it.
  if (static_cast<std::size_t>(node) < values.select_chains.size()) {
    const auto& chain =
        values.select_chains[static_cast<std::size_t>(node)][static_cast<std::size_t>(arg)];
    if (chain) {
      try {
        if (chain->replay_with(out, [&](const SelectChain::Step& s) {
              return s.var >= 0 ? vars[s.var]
                                : a.view[static_cast<std::size_t>(s.op)].begin.evaluate(ctx);
            })) {
          return;
        }
      } catch (const PtoError&) {
        // reported below
      }
    }
  }
  out.assign(values.tensors[static_cast<std::size_t>(a.tensor)]);
  try {
    for (const PlanViewOp& op : a.view) {
      if (op.kind == ViewOp::Kind::Select) {
        out.select_in_place(op.dim, op.begin.evaluate(ctx));
      } else {
        out.slice_in_place(op.dim, op.begin.evaluate(ctx), op.end.evaluate(ctx), op.step);
      }
    }
  } catch (const PtoError& e) {
    const Kernel& k = plan.kernels[static_cast<std::size_t>(task.kernel)];
    throw CompileError(fmt::format("task {}: argument '{}' = {}: {}", task_name(task, k, vars),
                                   k.signature().params()[static_cast<std::size_t>(arg)].name,
                                   a.view_text, e.what()));
  }
}

void detail::raise_scalar_error(const PlanNode& task, const ExecutionError& e) {
  throw CompileError(fmt::format("{}: {}", task.label, e.what()));
}

void enumerate_tasks(const Plan& plan, const BoundValues& values,
                     const std::function<void(const TaskInstance&)>& visit) {
  Enumerator(plan, values, visit).run();
}

std::vector<TaskInstance> enumerate_tasks(const Plan& plan, const BoundValues& values) {
  std::vector<TaskInstance> out;
  enumerate_tasks(plan, values, [&](const TaskInstance& t) { out.push_back(t); });
  return out;
}

std::string TaskInstance::name() const {
  std::vector<std::string> parts;
  for (const AxisValue& a : axes) parts.push_back(fmt::format("{}={}", a.name, a.value));
  return fmt::format("{}[{}]", kernel->name(), fmt::join(parts, ", "));
}

std::string TaskInstance::to_string() const {
  std::vector<std::string> parts;
  const auto& params = kernel->signature().params();
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].kind == ParamKind::Scalar) {
      const ScalarValue& s = scalars[i];
      parts.push_back(s.is_float ? fmt::format("{}={}", params[i].name, s.f)
                                 : fmt::format("{}={}", params[i].name, s.i));
    } else {
      parts.push_back(fmt::format("{}={} @{}", params[i].name, tensors[i].type_string(),
                                  tensors[i].region().to_string()));
    }
  }
  return fmt::format("{}({})", name(), fmt::join(parts, ", "));
}

}  // namespace pto::wsp
