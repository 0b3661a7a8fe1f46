// Tensor parameters of a workload and symbolic views onto them (`K[b].slice(lo, hi)`), resolved
// to concrete views when tensors are bound at execution time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pto/wsp/core/dtype.hpp"
#include "pto/wsp/core/expr.hpp"

namespace pto::wsp {

enum class TensorAccess : std::uint8_t { ReadWrite, ReadOnly };

/// A named tensor a workload reads or writes; the tensor itself is bound before each execution.
struct TensorDecl {
  std::string name;
  DType dtype = DType::f32;
  int rank = 0;
  TensorAccess access = TensorAccess::ReadWrite;
};

/// One step of a symbolic view: fix a dimension at an index, or keep a strided range of it.
struct ViewOp {
  enum class Kind : std::uint8_t { Select, Slice };
  Kind kind = Kind::Select;
  int dim = 0;
  Expr begin = 0;  ///< Select: the index; Slice: the first element
  Expr end = 0;    ///< Slice: one past the last element
  std::int64_t step = 1;
};

/// A symbolic view: a tensor parameter followed by selects and slices whose bounds are
/// expressions. Dimensions are checked when the view is built; bounds when it is resolved.
class TensorRef {
 public:
  TensorRef(std::shared_ptr<const TensorDecl> decl, std::vector<ViewOp> ops, int rank);

  /// Index the first dimension (drops it).
  TensorRef operator[](Expr index) const { return select(0, std::move(index)); }
  TensorRef select(int dim, Expr index) const;
  /// Elements [begin, end) of the first dimension.
  TensorRef slice(Expr begin, Expr end) const { return slice(0, std::move(begin), std::move(end)); }
  TensorRef slice(int dim, Expr begin, Expr end, std::int64_t step = 1) const;

  const TensorDecl& decl() const noexcept { return *decl_; }
  const std::shared_ptr<const TensorDecl>& decl_ptr() const noexcept { return decl_; }
  const std::vector<ViewOp>& ops() const noexcept { return ops_; }
  /// Rank of the view after its ops.
  int rank() const noexcept { return rank_; }
  DType dtype() const noexcept { return decl_->dtype; }
  /// "K[b].slice(0, (t * 64), 64)".
  std::string to_string() const;

 private:
  std::shared_ptr<const TensorDecl> decl_;
  std::vector<ViewOp> ops_;
  int rank_;
};

/// Declares a tensor parameter of a workload: tensor("Q", DType::f32, 4).
TensorRef tensor(std::string name, DType dtype, int rank,
                 TensorAccess access = TensorAccess::ReadWrite);

}  // namespace pto::wsp
