// The resumable generator: an explicit-stack walk of a Plan, one task at a time.
#include "engine/generator.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/workload/enumerate.hpp"

namespace pto::wsp::engine {

Generator::Generator(const Plan& plan, const BoundValues& values)
    : plan_(plan), values_(values), vars_(static_cast<std::size_t>(std::max(plan.num_vars, 1))) {
  frames_.reserve(16);
  frames_.push_back(Frame{plan.root});
}

std::int64_t Generator::eval(const ExprProgram& p, const PlanNode& where) const {
  try {
    return p.evaluate(values_.context(vars_.data()));
  } catch (const ExecutionError& e) {
    throw CompileError(fmt::format("{}: {}", where.label, e.what()));
  }
}

void Generator::set_vars(const Frame& f, const PlanNode& n) {
  switch (n.axis) {
    case AxisKind::Dense:
    case AxisKind::DenseDyn:
      vars_[n.var0] = f.i;
      return;
    case AxisKind::Ragged:
      if (n.has_row) {
        vars_[n.var0] = f.i;
      } else {
        vars_[n.var0] = f.i;
        vars_[n.var1] = f.j;
      }
      return;
    case AxisKind::Sparse: {
      const IntArray& indices = values_.arrays[n.indices];
      if (n.has_row) {
        vars_[n.var0] = indices.data[f.i];
      } else {
        vars_[n.var0] = f.i;
        vars_[n.var1] = indices.data[f.j];
      }
      return;
    }
  }
}

// The index range of row r: [0, lengths[r]) for Ragged, [indptr[r], indptr[r+1]) for Sparse.
void Generator::row_range(const PlanNode& n, std::int64_t r, std::int64_t& begin,
                          std::int64_t& end) const {
  if (n.axis == AxisKind::Ragged) {
    begin = 0;
    end = values_.arrays[n.lengths].data[r];
  } else {
    begin = values_.arrays[n.indptr].data[r];
    end = values_.arrays[n.indptr].data[r + 1];
  }
}

// For two-variable loops: start the inner range of row f.i (false: the row is empty).
bool Generator::inner_start(Frame& f, const PlanNode& n) {
  row_range(n, f.i, f.j, f.j_end);
  return f.j < f.j_end;
}

bool Generator::loop_first(Frame& f, const PlanNode& n) {
  const std::int64_t size = eval(n.size, n);
  if (size < 0) {
    throw CompileError(fmt::format("{}: the size {} evaluated to {}; sizes must be >= 0", n.label,
                                   n.size.source(), size));
  }
  const bool two_vars = n.var1 >= 0;
  if (n.has_row) {
    f.row = eval(n.row, n);
    if (f.row < 0 || f.row >= size) {
      throw CompileError(fmt::format("{}: row {} is outside [0, {})", n.label, f.row, size));
    }
    row_range(n, f.row, f.i, f.i_end);
  } else {
    f.i = 0;
    f.i_end = size;
  }
  if (two_vars) {
    for (; f.i < f.i_end; ++f.i) {
      if (inner_start(f, n)) break;
    }
  }
  if (f.i >= f.i_end) return false;
  set_vars(f, n);
  return true;
}

bool Generator::loop_next(Frame& f, const PlanNode& n) {
  if (n.var1 >= 0) {
    if (++f.j >= f.j_end) {
      for (++f.i; f.i < f.i_end; ++f.i) {
        if (inner_start(f, n)) break;
      }
    }
  } else {
    ++f.i;
  }
  if (f.i >= f.i_end) return false;
  set_vars(f, n);
  return true;
}

void Generator::emit_task(GenerationSink& sink, const PlanNode& n, int node) {
  TaskPayload& p = sink.next_payload();
  p.node = node;
  p.num_axes = static_cast<int>(n.axis_vars.size());
  for (int a = 0; a < p.num_axes; ++a) p.axis_values[a] = vars_[n.axis_vars[a]];
  const std::size_t nargs = n.args.size();
  p.tensors.resize(nargs);
  p.scalars.resize(nargs);
  for (std::size_t i = 0; i < nargs; ++i) {
    if (n.args[i].kind != ParamKind::Scalar) {
      resolve_view(p.tensors[i], plan_, n, static_cast<int>(i), values_, vars_.data());
    } else {
      p.scalars[i] = resolve_scalar(n, static_cast<int>(i), values_, vars_.data());
    }
  }
  sink.commit_task();
}

std::int64_t Generator::run(GenerationSink& sink, std::int64_t max_tasks) {
  std::int64_t committed = 0;
  blocked_ = false;
  while (!frames_.empty()) {
    const int index = frames_.back().node;
    const PlanNode& n = plan_.nodes[static_cast<std::size_t>(index)];
    Frame& f = frames_.back();
    switch (n.kind) {
      case NodeKind::Task:
        if (committed == max_tasks) return committed;
        if (!sink.has_room()) {
          blocked_ = true;
          return committed;
        }
        emit_task(sink, n, index);
        frames_.pop_back();
        ++committed;
        break;
      case NodeKind::Cond: {
        if (f.stage != 0) {
          frames_.pop_back();
          break;
        }
        f.stage = 1;
        const int branch = eval(n.pred, n) != 0 ? n.then_branch : n.else_branch;
        if (branch >= 0) {
          frames_.push_back(Frame{branch});
        } else {
          frames_.pop_back();
        }
        break;
      }
      case NodeKind::Combine:
        if (f.stage < static_cast<int>(n.children.size())) {
          const int child = n.children[static_cast<std::size_t>(f.stage++)];
          frames_.push_back(Frame{child});
        } else {
          frames_.pop_back();
        }
        break;
      case NodeKind::Sequential: {
        const int s = f.stage++;
        if (s == 0) sink.chain_begin();
        if (s > 0) sink.group_end();
        if (s < static_cast<int>(n.children.size())) {
          sink.group_begin();
          frames_.push_back(Frame{n.children[static_cast<std::size_t>(s)]});
        } else {
          sink.chain_end();
          frames_.pop_back();
        }
        break;
      }
      case NodeKind::Loop: {
        const bool chain = n.loop == LoopKind::ForEach;
        bool more;
        if (f.stage == 0) {
          f.stage = 1;
          if (chain) sink.chain_begin();
          more = loop_first(f, n);
        } else {
          if (chain) sink.group_end();
          more = loop_next(f, n);
        }
        if (more) {
          if (chain) sink.group_begin();
          frames_.push_back(Frame{n.body});
        } else {
          if (chain) sink.chain_end();
          frames_.pop_back();
        }
        break;
      }
    }
  }
  return committed;
}

}  // namespace pto::wsp::engine
