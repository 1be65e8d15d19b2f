// libFuzzer target: a Hugging Face config.json, read as `posemb positions rope --config` and
// `posemb plot rope-frequencies --config` read it: rope_params_from_hf_config, then the
// frequencies of the parameters it accepts.
// Either posemb::Error or parameters whose frequencies compute: rotary_dim / 2 of them.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/hf_config_fuzz fuzz/corpus/hf_config -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope_scaling.hpp"

using posemb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace posemb::positional;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const RopeParams params = rope_params_from_hf_config(text, "fuzz/config.json");
    check(params.rotary_dim > 0 && params.rotary_dim % 2 == 0 && params.rotary_dim <= params.head_dim);
    for (const auto seq_len : {std::optional<posemb::Index>{}, std::optional<posemb::Index>{8192}}) {
      const RopeFrequencies f = compute_rope_frequencies(params, seq_len);
      check(static_cast<posemb::Index>(f.inv_freq.size()) == params.rotary_dim / 2);
    }
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
