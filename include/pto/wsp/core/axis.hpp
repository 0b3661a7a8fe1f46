// Iteration axes: Dense<N>, DenseDyn, Ragged (length per outer index) and Sparse (CSR rows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pto/wsp/core/expr.hpp"

namespace pto::wsp {

enum class AxisKind : std::uint8_t { Dense, DenseDyn, Ragged, Sparse };

/// An iteration space. Sizes and tables are expressions and array names, bound at execution time.
///   Dense    [0, N), N fixed when the workload is built
///   DenseDyn [0, size) with size an expression (usually a symbol)
///   Ragged   outer rows r in [0, outer); row r runs lengths[r] times
///   Sparse   outer rows r in [0, outer); row r selects indices[indptr[r] .. indptr[r+1])
/// Looping over a Ragged or Sparse axis binds two variables (row, value); looping over one row
/// (`axis.row(r)`) binds one. Ragged/Sparse outer sizes may use only constants and symbols, so
/// their tables can be checked when values are bound.
class Axis {
 public:
  AxisKind kind() const noexcept { return kind_; }
  std::int64_t static_size() const noexcept { return static_size_; }
  /// Dense: the constant; DenseDyn: the size; Ragged/Sparse: the number of rows.
  const Expr& size() const noexcept { return size_; }
  const std::string& lengths() const noexcept { return lengths_; }
  const std::string& indptr() const noexcept { return indptr_; }
  const std::string& indices() const noexcept { return indices_; }
  /// "Dense[8]", "DenseDyn", "Ragged", "Sparse".
  std::string type_string() const;
  /// "Dense[8]", "DenseDyn(batch)", "Ragged(batch, lengths=kv_tiles)", ...
  std::string to_string() const;

 protected:
  Axis(AxisKind kind, Expr size) : kind_(kind), size_(std::move(size)) {}
  AxisKind kind_;
  std::int64_t static_size_ = -1;
  Expr size_;
  std::string lengths_, indptr_, indices_;
};

/// Dense<8>() has its size in the type; Dense(n) takes it as a value. Both are fixed at build time.
template <std::int64_t N = -1>
class Dense : public Axis {
 public:
  Dense() requires(N >= 0) : Axis(AxisKind::Dense, Expr(N)) { static_size_ = N; }
  explicit Dense(std::int64_t n) requires(N == -1);
};
Dense(std::int64_t)->Dense<-1>;
Dense(int)->Dense<-1>;

/// Throws CompileError for a negative Dense size (kept out of line for the message).
void check_dense_size(std::int64_t n);

template <std::int64_t N>
Dense<N>::Dense(std::int64_t n) requires(N == -1) : Axis(AxisKind::Dense, Expr(n)) {
  check_dense_size(n);
  static_size_ = n;
}

class DenseDyn : public Axis {
 public:
  explicit DenseDyn(Expr size) : Axis(AxisKind::DenseDyn, std::move(size)) {}
  /// Shorthand: the size is the run-time symbol `name`.
  explicit DenseDyn(const char* symbol_name) : DenseDyn(Expr::symbol(symbol_name)) {}
};

class Ragged : public Axis {
 public:
  Ragged(Expr outer, std::string lengths_array);
};

class Sparse : public Axis {
 public:
  Sparse(Expr outer, std::string indptr_array, std::string indices_array);
};

/// What a loop iterates: a whole axis, or (Ragged/Sparse) one row of it.
struct Domain {
  Domain(const Axis& a) : axis(a) {}  // NOLINT: an axis is a domain
  Domain(const Axis& a, Expr r) : axis(a), row(std::move(r)) {}
  Axis axis;
  std::optional<Expr> row;
  /// Number of variables a loop over this domain binds: 2 for a whole Ragged/Sparse axis.
  int arity() const noexcept {
    return (!row && (axis.kind() == AxisKind::Ragged || axis.kind() == AxisKind::Sparse)) ? 2 : 1;
  }
  std::string to_string() const;
};

/// One row of a Ragged or Sparse axis: `row(kv, b)` iterates [0, lengths[b]) or the CSR row b.
Domain row(const Axis& axis, Expr r);

}  // namespace pto::wsp
