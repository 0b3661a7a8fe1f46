// Axis constructors, their checks and their printed forms.
#include "pto/wsp/core/axis.hpp"

#include <fmt/format.h>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp {

void check_dense_size(std::int64_t n) {
  if (n < 0) throw CompileError(fmt::format("Dense({}): the size must be >= 0", n));
}

Ragged::Ragged(Expr outer, std::string lengths_array) : Axis(AxisKind::Ragged, std::move(outer)) {
  if (lengths_array.empty()) throw CompileError("Ragged: the lengths array needs a name");
  lengths_ = std::move(lengths_array);
}

Sparse::Sparse(Expr outer, std::string indptr_array, std::string indices_array)
    : Axis(AxisKind::Sparse, std::move(outer)) {
  if (indptr_array.empty() || indices_array.empty()) {
    throw CompileError("Sparse: the indptr and indices arrays need names");
  }
  if (indptr_array == indices_array) {
    throw CompileError(
        fmt::format("Sparse: indptr and indices are the same array '{}'", indptr_array));
  }
  indptr_ = std::move(indptr_array);
  indices_ = std::move(indices_array);
}

std::string Axis::type_string() const {
  switch (kind_) {
    case AxisKind::Dense:
      return fmt::format("Dense[{}]", static_size_);
    case AxisKind::DenseDyn:
      return "DenseDyn";
    case AxisKind::Ragged:
      return "Ragged";
    case AxisKind::Sparse:
      return "Sparse";
  }
  return "?";
}

std::string Axis::to_string() const {
  switch (kind_) {
    case AxisKind::Dense:
      return type_string();
    case AxisKind::DenseDyn:
      return fmt::format("DenseDyn({})", size_.to_string());
    case AxisKind::Ragged:
      return fmt::format("Ragged({}, lengths={})", size_.to_string(), lengths_);
    case AxisKind::Sparse:
      return fmt::format("Sparse({}, indptr={}, indices={})", size_.to_string(), indptr_, indices_);
  }
  return "?";
}

std::string Domain::to_string() const {
  if (!row) return axis.to_string();
  return fmt::format("{}.row({})", axis.to_string(), row->to_string());
}

Domain row(const Axis& axis, Expr r) {
  if (axis.kind() != AxisKind::Ragged && axis.kind() != AxisKind::Sparse) {
    throw CompileError(fmt::format("row({}, {}): only Ragged and Sparse axes have rows",
                                   axis.to_string(), r.to_string()));
  }
  return Domain(axis, std::move(r));
}

}  // namespace pto::wsp
