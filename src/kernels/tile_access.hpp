// Internal access to a concrete tile's storage for the op implementations.
#pragma once

#include "kernels/compute.hpp"
#include "pto/wsp/tile/tile.hpp"

namespace pto {

struct TileAccess {
  static detail::TileRef ref(const DynTile& t) {
    return detail::TileRef{t.bytes(), t.type(), t.valid_rows(), t.valid_cols()};
  }
  /// Records the valid extent an op computed into `t`'s storage.
  static void set_valid(DynTile& t, const detail::TileRef& ref) {
    t.valid_rows_ = ref.valid_rows;
    t.valid_cols_ = ref.valid_cols;
  }
};

}  // namespace pto
