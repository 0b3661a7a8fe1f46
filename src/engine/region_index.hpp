// The active accesses of unretired tasks, bucketed by coordinates so that finding the accesses a
// new region overlaps costs a few hash probes, not a scan of the task window.
#pragma once

#include <cstdint>
#include <vector>

#include "pto/wsp/core/region.hpp"

namespace pto::wsp::engine {

/// One access of one task, as the index stores it. The region itself lives with the task; the
/// entry names it by (slot, access). `task_id` tells a live entry from one whose task retired.
struct AccessEntry {
  std::uint32_t slot = 0;
  std::uint16_t access = 0;
  bool writes = false;
  std::uint64_t task_id = 0;
  /// The access's byte range, so that a candidate whose bytes are disjoint from a query's is
  /// rejected without touching its task record (a cache miss per candidate otherwise).
  std::uintptr_t lo = 0, hi = 0;
};

/// Accesses grouped in *spaces* (one per alias class of bound tensors). Within a space, regions
/// are bucketed on a grid over root coordinates (for exact spaces) or over bytes (for spaces where
/// several roots alias one buffer). The grid's cell size per dimension is the extent of the
/// first region inserted in the space; a region that covers more than kMaxCells cells goes to
/// the space's wide list, which every query of the space scans. Collisions of the 64-bit cell hash
/// only add candidates: callers confirm every candidate with an exact overlap test.
class RegionIndex {
 public:
  static constexpr int kMaxCells = 16;
  static constexpr int kMinInnerShift = 3;  ///< innermost cells span at least 2^3 elements

  /// Forgets everything; `exact[s]` says whether space s compares root coordinates.
  void reset(std::vector<bool> exact);

  /// The grid cells a region covers in its space, computed once for a query and an insert.
  struct Cells {
    int space = 0;
    int count = 0;      ///< keys used
    bool wide = false;  ///< more than kMaxCells cells: stored in (and queries scan) the wide list
    std::array<std::uint64_t, kMaxCells> keys{};
    /// Filled by for_each_candidate: the bucket of each key (-1: none yet), so that an insert
    /// right after the query needs no second probe.
    bool probed = false;
    std::array<std::int32_t, kMaxCells> bucket{};
  };
  void cells_of(int space, const Region& r, Cells& out);

  /// Calls visit(entry) for every entry whose cells meet these (a superset of the entries that
  /// overlap the region); an entry may be visited more than once. visit returns true to drop the
  /// entry from the bucket it was found in (erase tolerates entries already dropped).
  template <typename Visit>
  void for_each_candidate(Cells& cells, Visit&& visit);

  /// Adds an entry under `cells`; appends the keys used to `keys` (for `erase`).
  void insert(const Cells& cells, const AccessEntry& e, std::vector<std::uint64_t>& keys);

  /// Removes every entry of task `task_id` stored under `keys` (as `insert` returned them).
  void erase(std::uint64_t task_id, const std::vector<std::uint64_t>& keys);

  /// Live entries (for tests and memory accounting).
  std::size_t size() const noexcept { return live_; }

 private:
  struct Space {
    bool exact = true;
    bool shaped = false;  ///< cell sizes chosen
    std::array<int, kMaxRank> shift{};
    std::int64_t wide_entries = 0;  ///< entries in the wide list (queries skip it when 0)
  };
  struct Bucket {
    std::uint64_t key = 0;
    std::vector<AccessEntry> entries;
    int wide_space = -1;  ///< the space whose wide list this is, or -1
  };

  int find(std::uint64_t key) const;  ///< bucket index or -1
  int find_or_add(std::uint64_t key);
  void remove_bucket(int index);
  void grow();

  std::vector<Space> spaces_;
  /// Open addressing; the key sits in the slot so a probe touches one cache line.
  struct Slot {
    std::uint64_t key = 0;  ///< 0: empty
    std::int32_t bucket = -1;
  };
  std::vector<Slot> table_;
  std::vector<Bucket> buckets_;
  std::vector<std::int32_t> free_buckets_;
  std::size_t used_ = 0;
  std::size_t live_ = 0;
};

/// The wide-list key of a space (a cell key no grid cell produces).
std::uint64_t wide_key(int space) noexcept;

template <typename Visit>
void RegionIndex::for_each_candidate(Cells& cells, Visit&& visit) {
  // visit(entry) returns true to drop the entry (its task retired, or a later write covers the
  // access): dropping while scanning keeps buckets of hot regions short when many tasks in the
  // window reuse one small buffer. Buckets stay (maybe empty) until erase, so the bucket indices
  // cached for the insert that follows remain valid.
  const auto scan = [&](Bucket& bucket) {
    auto& v = bucket.entries;
    std::size_t kept = 0;
    for (std::size_t r = 0; r < v.size(); ++r) {
      if (visit(static_cast<const AccessEntry&>(v[r]))) {
        --live_;
        if (bucket.wide_space >= 0)
          --spaces_[static_cast<std::size_t>(bucket.wide_space)].wide_entries;
        continue;
      }
      if (kept != r) v[kept] = v[r];
      ++kept;
    }
    v.resize(kept);
  };
  if (spaces_[static_cast<std::size_t>(cells.space)].wide_entries > 0) {
    const int b = find(wide_key(cells.space));
    if (b >= 0) scan(buckets_[static_cast<std::size_t>(b)]);
  }
  if (cells.wide) {  // every bucket of the space may hold an overlapping entry
    for (Bucket& b : buckets_) scan(b);
    return;
  }
  for (int k = 0; k < cells.count; ++k) {
    const int b = find(cells.keys[static_cast<std::size_t>(k)]);
    cells.bucket[static_cast<std::size_t>(k)] = b;
    if (b >= 0) scan(buckets_[static_cast<std::size_t>(b)]);
  }
  cells.probed = true;
}

}  // namespace pto::wsp::engine
