// The region index on its own: candidates are a superset of the overlapping entries (cells and
// the wide list), erase removes a task's entries everywhere, and buckets are recycled.
#include <gtest/gtest.h>

#include <set>

#include "engine/region_index.hpp"
#include "pto/wsp/core/tensor.hpp"

namespace pto::wsp::engine {
namespace {

std::set<std::uint64_t> candidates(RegionIndex& index, int space, const Region& r) {
  RegionIndex::Cells cells;
  index.cells_of(space, r, cells);
  std::set<std::uint64_t> out;
  index.for_each_candidate(cells, [&](const AccessEntry& e) {
    out.insert(e.task_id);
    return false;
  });
  return out;
}

void insert(RegionIndex& index, int space, const Region& r, std::uint64_t id,
            std::vector<std::uint64_t>& keys) {
  RegionIndex::Cells cells;
  index.cells_of(space, r, cells);
  index.for_each_candidate(cells, [](const AccessEntry&) { return false; });  // as the tracker does
  index.insert(cells, AccessEntry{0, 0, true, id}, keys);
}

TEST(RegionIndex, CandidatesCoverEveryOverlappingEntryIncludingWideOnes) {
  const Tensor m = Tensor::zeros(DType::f32, {64, 64});
  RegionIndex index;
  index.reset({true});
  std::vector<std::vector<std::uint64_t>> keys(4);
  insert(index, 0, m[3].slice(0, 8).region(), 0, keys[0]);      // shapes cells: 1 row × 8 columns
  insert(index, 0, m[5].slice(8, 16).region(), 1, keys[1]);     // one cell
  insert(index, 0, m.slice(1, 0, 64, 1).region(), 2, keys[2]);  // every row: the wide list
  insert(index, 0, m[5].slice(30, 33).region(), 3, keys[3]);    // two cells
  EXPECT_EQ(keys[2].size(), 1u);
  EXPECT_EQ(keys[3].size(), 2u);

  const std::set<std::uint64_t> c = candidates(index, 0, m[5].slice(9, 10).region());
  EXPECT_TRUE(c.count(1));  // same cell
  EXPECT_TRUE(c.count(2));  // wide: always a candidate
  EXPECT_FALSE(c.count(0));
  EXPECT_TRUE(candidates(index, 0, m[5].slice(32, 34).region()).count(3));
  // A wide query sees everything of the space.
  EXPECT_EQ(candidates(index, 0, m.region()).size(), 4u);
  EXPECT_EQ(index.size(), 1u + 1u + 1u + 2u);

  index.erase(2, keys[2]);
  index.erase(3, keys[3]);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_FALSE(candidates(index, 0, m[5].slice(9, 10).region()).count(2));
  EXPECT_TRUE(candidates(index, 0, m[5].slice(33, 34).region()).empty());
}

TEST(RegionIndex, ManyInsertsAndErasesKeepTheIndexSmall) {
  const Tensor v = Tensor::zeros(DType::f32, {1 << 16});
  RegionIndex index;
  index.reset({true});
  std::vector<std::vector<std::uint64_t>> keys(64);
  for (std::uint64_t id = 0; id < 20000; ++id) {
    auto& k = keys[id % 64];
    if (id >= 64) index.erase(id - 64, k);  // keep 64 tasks live, like a window
    k.clear();
    const std::int64_t at = static_cast<std::int64_t>((id * 37) % (1 << 16));
    insert(index, 0, v.slice(at, at + 1).region(), id, k);
    ASSERT_LE(index.size(), 64u);
    EXPECT_TRUE(candidates(index, 0, v.slice(at, at + 1).region()).count(id));
  }
}

}  // namespace
}  // namespace pto::wsp::engine
