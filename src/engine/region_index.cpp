// Grid-bucketed index of active accesses: open addressing with backward-shift deletion, buckets
// recycled with their capacity so that the steady state allocates nothing.
#include "engine/region_index.hpp"

#include <bit>

#include "pto/wsp/core/error.hpp"

namespace pto::wsp::engine {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  // splitmix64 finaliser over the running hash
  std::uint64_t x = h ^ (v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2));
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

std::uint64_t wide_key(int space) noexcept {
  return mix(0x77696465ull, static_cast<std::uint64_t>(space));
}

void RegionIndex::reset(std::vector<bool> exact) {
  spaces_.assign(exact.size(), Space{});
  for (std::size_t s = 0; s < exact.size(); ++s) spaces_[s].exact = exact[s];
  for (Bucket& b : buckets_) {
    b.entries.clear();
    b.key = 0;
    b.wide_space = -1;
  }
  free_buckets_.clear();
  for (std::size_t b = buckets_.size(); b-- > 0;) {
    free_buckets_.push_back(static_cast<std::int32_t>(b));
  }
  std::fill(table_.begin(), table_.end(), Slot{});
  if (table_.empty()) table_.assign(1024, Slot{});
  used_ = 0;
  live_ = 0;
}

void RegionIndex::cells_of(int space, const Region& r, Cells& out) {
  Space& s = spaces_[static_cast<std::size_t>(space)];
  out.space = space;
  out.count = 0;
  out.wide = false;
  out.probed = false;
  const int rank = s.exact ? r.rank : 1;
  std::array<std::int64_t, kMaxRank> lo, hi;  // [0, rank) is written below
  // The key of the first cell, hashed as the loop below hashes every cell: most accesses (an
  // element, a row, a tile) cover one cell, which then needs nothing more.
  std::uint64_t first_key = static_cast<std::uint64_t>(space) + 1;
  bool single = true;
  for (int d = 0; d < rank; ++d) {
    std::int64_t first, last;
    if (s.exact) {
      first = r.start[d];
      last = r.start[d] + (r.count[d] - 1) * r.step[d];
    } else {
      first = static_cast<std::int64_t>(r.lo);
      last = static_cast<std::int64_t>(r.hi) - 1;
    }
    if (!s.shaped) {
      // At least 8 elements per cell along the innermost dimension: element-wise accesses then
      // share buckets instead of making and erasing one each (measured: +5-10% tasks/s).
      const int extent = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(last - first)));
      s.shift[d] = std::max(d == rank - 1 ? kMinInnerShift : 0, extent);
    }
    lo[d] = first >> s.shift[d];
    hi[d] = last >> s.shift[d];
    single = single && lo[d] == hi[d];
    first_key = first_key * 0x100000001b3ull + static_cast<std::uint64_t>(lo[d]);
  }
  s.shaped = true;
  if (single) {
    std::uint64_t h = mix(0, first_key);
    if (h == 0) h = 1;  // 0 marks a free slot
    out.keys[0] = h;
    out.count = 1;
    return;
  }
  std::int64_t n = 1;
  for (int d = 0; d < rank; ++d) {
    n *= hi[d] - lo[d] + 1;
    if (n > kMaxCells) {
      out.wide = true;
      return;
    }
  }
  std::array<std::int64_t, kMaxRank> c = lo;
  for (std::int64_t k = 0; k < n; ++k) {
    // Multiply-add the coordinates, then mix once: cheaper than mixing per dimension, and
    // collisions only cost extra candidates.
    std::uint64_t h = static_cast<std::uint64_t>(space) + 1;
    for (int d = 0; d < rank; ++d) h = h * 0x100000001b3ull + static_cast<std::uint64_t>(c[d]);
    h = mix(0, h);
    if (h == 0) h = 1;  // 0 marks a free slot
    out.keys[static_cast<std::size_t>(out.count++)] = h;
    for (int d = rank - 1; d >= 0; --d) {
      if (++c[d] <= hi[d]) break;
      c[d] = lo[d];
    }
  }
}

int RegionIndex::find(std::uint64_t key) const {
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = key & mask;; i = (i + 1) & mask) {
    if (table_[i].key == key) return table_[i].bucket;
    if (table_[i].key == 0) return -1;
  }
}

void RegionIndex::grow() {
  std::vector<Slot> old;
  old.swap(table_);
  table_.assign(old.size() * 2, Slot{});
  const std::size_t mask = table_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.key == 0) continue;
    std::size_t i = slot.key & mask;
    while (table_[i].key != 0) i = (i + 1) & mask;
    table_[i] = slot;
  }
}

int RegionIndex::find_or_add(std::uint64_t key) {
  const int found = find(key);
  if (found >= 0) return found;
  if ((used_ + 1) * 2 > table_.size()) grow();
  int b;
  if (!free_buckets_.empty()) {
    b = free_buckets_.back();
    free_buckets_.pop_back();
  } else {
    b = static_cast<int>(buckets_.size());
    buckets_.emplace_back();
  }
  buckets_[static_cast<std::size_t>(b)].key = key;
  const std::size_t mask = table_.size() - 1;
  std::size_t i = key & mask;
  while (table_[i].key != 0) i = (i + 1) & mask;
  table_[i] = Slot{key, b};
  ++used_;
  return b;
}

// Backward-shift deletion keeps probe sequences intact without tombstones.
void RegionIndex::remove_bucket(int index) {
  const std::size_t mask = table_.size() - 1;
  const std::uint64_t key = buckets_[static_cast<std::size_t>(index)].key;
  std::size_t i = key & mask;
  while (table_[i].key != key) i = (i + 1) & mask;
  std::size_t j = i;
  for (;;) {
    j = (j + 1) & mask;
    if (table_[j].key == 0) break;
    const std::size_t home = table_[j].key & mask;
    // Move j back to i when its home is not cyclically in (i, j].
    const bool in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
    if (!in_range) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i] = Slot{};
  buckets_[static_cast<std::size_t>(index)].key = 0;
  buckets_[static_cast<std::size_t>(index)].wide_space = -1;
  free_buckets_.push_back(index);
  --used_;
}

void RegionIndex::insert(const Cells& cells, const AccessEntry& e,
                         std::vector<std::uint64_t>& keys) {
  const auto add = [&](std::uint64_t key, int known) {
    // A bucket the query found is still there: nothing is removed between query and insert.
    const int b = known >= 0 ? known : find_or_add(key);
    buckets_[static_cast<std::size_t>(b)].entries.push_back(e);
    keys.push_back(key);
    ++live_;
    return b;
  };
  if (cells.wide) {
    const int b = add(wide_key(cells.space), -1);
    buckets_[static_cast<std::size_t>(b)].wide_space = cells.space;
    ++spaces_[static_cast<std::size_t>(cells.space)].wide_entries;
    return;
  }
  for (int k = 0; k < cells.count; ++k) {
    add(cells.keys[static_cast<std::size_t>(k)],
        cells.probed ? cells.bucket[static_cast<std::size_t>(k)] : -1);
  }
}

void RegionIndex::erase(std::uint64_t task_id, const std::vector<std::uint64_t>& keys) {
  for (std::uint64_t key : keys) {
    const int b = find(key);
    if (b < 0) continue;  // already emptied by an earlier key of the same task
    Bucket& bucket = buckets_[static_cast<std::size_t>(b)];
    auto& entries = bucket.entries;
    for (std::size_t i = 0; i < entries.size();) {
      if (entries[i].task_id == task_id) {
        entries[i] = entries.back();
        entries.pop_back();
        --live_;
        if (bucket.wide_space >= 0)
          --spaces_[static_cast<std::size_t>(bucket.wide_space)].wide_entries;
      } else {
        ++i;
      }
    }
    if (entries.empty()) remove_bucket(b);
  }
}

}  // namespace pto::wsp::engine
