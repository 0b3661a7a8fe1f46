// Symbolic views: construction-time dimension checks and printing.
#include "pto/wsp/workload/tensor_ref.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"
#include "pto/wsp/core/region.hpp"

namespace pto::wsp {

TensorRef::TensorRef(std::shared_ptr<const TensorDecl> decl, std::vector<ViewOp> ops, int rank)
    : decl_(std::move(decl)), ops_(std::move(ops)), rank_(rank) {}

TensorRef TensorRef::select(int dim, Expr index) const {
  if (dim < 0 || dim >= rank_) {
    throw CompileError(fmt::format("view {}: select on dimension {} but the view has rank {}",
                                   to_string(), dim, rank_));
  }
  auto ops = ops_;
  ops.push_back(ViewOp{ViewOp::Kind::Select, dim, std::move(index), 0, 1});
  return TensorRef(decl_, std::move(ops), rank_ - 1);
}

TensorRef TensorRef::slice(int dim, Expr begin, Expr end, std::int64_t step) const {
  if (dim < 0 || dim >= rank_) {
    throw CompileError(fmt::format("view {}: slice on dimension {} but the view has rank {}",
                                   to_string(), dim, rank_));
  }
  if (step <= 0) {
    throw CompileError(fmt::format("view {}: slice step {} must be positive", to_string(), step));
  }
  auto ops = ops_;
  ops.push_back(ViewOp{ViewOp::Kind::Slice, dim, std::move(begin), std::move(end), step});
  return TensorRef(decl_, std::move(ops), rank_);
}

std::string TensorRef::to_string() const {
  std::string out = decl_->name;
  for (const ViewOp& op : ops_) {
    if (op.kind == ViewOp::Kind::Select) {
      out += op.dim == 0 ? fmt::format("[{}]", op.begin.to_string())
                         : fmt::format(".select({}, {})", op.dim, op.begin.to_string());
    } else if (op.dim == 0 && op.step == 1) {
      out += fmt::format(".slice({}, {})", op.begin.to_string(), op.end.to_string());
    } else {
      out += fmt::format(".slice({}, {}, {}, {})", op.dim, op.begin.to_string(), op.end.to_string(),
                         op.step);
    }
  }
  return out;
}

TensorRef tensor(std::string name, DType dtype, int rank, TensorAccess access) {
  if (name.empty()) throw CompileError("tensor: the name must not be empty");
  if (rank < 0 || rank > kMaxRank) {
    throw CompileError(
        fmt::format("tensor '{}': rank {} is outside [0, {}]", name, rank, kMaxRank));
  }
  auto decl = std::make_shared<const TensorDecl>(TensorDecl{std::move(name), dtype, rank, access});
  return TensorRef(std::move(decl), {}, rank);
}

}  // namespace pto::wsp
