#pragma once
// The common vocabulary of positional schemes: which ones exist and where each one acts.
//
//   input          added to the token embeddings before the first layer
//                  (learned absolute, sinusoidal)
//   queries/keys   rotates queries and keys inside attention (RoPE, axial RoPE, p-RoPE)
//   scores         biases the attention scores inside attention (ALiBi, T5, Shaw)
//   none           NoPE: the model gets no position information (causal masking aside)
//
// Each scheme has its own validated parameter struct in its own header (sinusoidal.hpp,
// rope.hpp, alibi.hpp, t5_bias.hpp, shaw.hpp, axial_rope.hpp).
#include <string_view>
#include <vector>

namespace posemb::positional {

enum class Placement { kNone, kInput, kQueriesKeys, kScores };

enum class SchemeKind { kNope, kLearned, kSinusoidal, kRope, kAxialRope, kAlibi, kT5, kShaw };

// "nope", "learned", "sinusoidal", "rope", "axial-rope", "alibi", "t5", "shaw"
std::string_view scheme_name(SchemeKind kind);

Placement placement_of(SchemeKind kind);

// "none", "input embeddings", "queries and keys", "attention scores"
std::string_view placement_name(Placement placement);

// Inverse of scheme_name ("none" is NoPE too, as the trainer spells it); throws posemb::Error
// listing the known names.
SchemeKind parse_scheme_kind(std::string_view name);

std::vector<SchemeKind> all_scheme_kinds();

// How sinusoidal and rotary angles (position x frequency) are computed.
//   kFloat32  as the PyTorch references do: frequency, product and sin/cos in float32. This
//             is what Hugging Face / fairseq models were trained and are run with, and what
//             the goldens check; at large positions the float32 product is off by up to
//             position * 2^-24 radians (0.006 rad at 100000).
//   kFloat64  frequency, product and sin/cos in double, rounded once at the end: the exact
//             angle. Use it to study the float32 error, not to match a checkpoint.
enum class AnglePrecision { kFloat32, kFloat64 };

}  // namespace posemb::positional
