// The key-tile sequence of one (batch, head, query-tile) row: the zero bits of its skip
// mask row, in descending key-tile order (DESIGN.md sections 3-4). The producer warp and
// every consumer thread each walk their own copy, so they agree on the sequence without
// talking; a null mask row means dense (every tile, still descending).
#pragma once

#include <cstdint>

#include <cute/config.hpp>

namespace liteattn {

// The bits of mask word `word` that stand for key tiles below num_key_tiles (the rest are
// 0 by contract, DESIGN.md section 3, and are ignored wherever a row is read).
CUTE_HOST_DEVICE constexpr uint32_t valid_key_tile_bits(int word, int num_key_tiles) {
  int const tiles_here = num_key_tiles - (word << 5);
  return tiles_here >= 32 ? ~0u : ((1u << tiles_here) - 1u);
}

class KeyTileIterator {
 public:
  CUTE_DEVICE KeyTileIterator(const int32_t* mask_row, int num_key_tiles)
      : mask_row_(mask_row), word_((num_key_tiles - 1) >> 5) {
    live_ = live_bits(word_) & valid_bits_of_last_word(num_key_tiles);
    // The next lower word is fetched one word ahead, so crossing a word boundary does
    // not stall the loop that asked for the next tile on a global load.
    ahead_ = word_ > 0 ? live_bits(word_ - 1) : 0u;
  }

  // Writes the next key tile to compute into `tile`; false once the row is exhausted.
  CUTE_DEVICE bool next(int& tile) {
    while (live_ == 0u) {
      if (word_ == 0) return false;
      --word_;
      live_ = ahead_;
      ahead_ = word_ > 0 ? live_bits(word_ - 1) : 0u;
    }
    int const bit = 31 - __clz(live_);
    live_ &= ~(1u << bit);
    tile = (word_ << 5) + bit;
    return true;
  }

 private:
  CUTE_DEVICE uint32_t live_bits(int word) const {
    return mask_row_ == nullptr ? ~0u : ~static_cast<uint32_t>(__ldg(mask_row_ + word));
  }

  CUTE_DEVICE static uint32_t valid_bits_of_last_word(int num_key_tiles) {
    int const rem = num_key_tiles & 31;
    return rem == 0 ? ~0u : ((1u << rem) - 1u);
  }

  const int32_t* mask_row_;
  int word_;
  uint32_t live_;
  uint32_t ahead_;
};

}  // namespace liteattn
