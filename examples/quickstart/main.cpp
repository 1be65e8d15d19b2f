// The README's "use it from C++" example: text -> GPT-2 tokens -> token embeddings +
// sinusoidal positions, then RoPE on a query tensor. Built against an installed posemb
// by tests/install (find_package), so the README's code is known to compile and run.
#include <posemb/core/random.hpp>
#include <posemb/core/tensor_print.hpp>
#include <posemb/embedding/token_embedding.hpp>
#include <posemb/positional/rope.hpp>
#include <posemb/positional/sinusoidal.hpp>
#include <posemb/tokenizer/encoding.hpp>

#include <iostream>
#include <numeric>

using namespace posemb;

int main() {
  const auto ranks = tokenizer::Encoding::gpt2().encode("Hello my name is Ajay");
  IdTensor ids({1, static_cast<Index>(ranks.size())});
  std::copy(ranks.begin(), ranks.end(), ids.data());

  Generator generator(/*seed=*/0);                       // torch.manual_seed(0)
  embedding::TokenEmbedding wte(/*vocab=*/50257, /*dim=*/4, generator);  // nn.Embedding(50257, 4)
  Tensor x = wte.forward(ids.view());                     // [1, 6, 4]

  positional::SinusoidalPositions pe({.dim = 4, .layout = positional::SinusoidalLayout::kInterleaved});
  std::vector<Index> token_indices(static_cast<std::size_t>(ids.size(1)));
  std::iota(token_indices.begin(), token_indices.end(), Index{0});
  pe.add_to(x.view().select(0, 0), token_indices);        // x[0, t, :] += PE[t, :]
  std::cout << format_torch(x) << '\n' << format_torch_size(x.shape()) << '\n';

  positional::Rope rope({.head_dim = 8, .rotary_dim = 8, .theta = 10000.0}, /*cache_positions=*/64);
  Tensor q = Tensor::full({1, 3, 2, 8}, 1.0f);           // [batch, seq, heads, head_dim]
  rope.apply(q.view(), /*position_offset=*/10);           // in place, positions 10, 11, 12
  std::cout << format_torch(q) << '\n';
}
