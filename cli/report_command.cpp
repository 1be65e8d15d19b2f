// `posemb report -o report.html [--study study.json]`: one self-contained HTML page that
// explains each positional scheme with its pictures (and the study's table and curve), for a
// browser with no network: the pictures are PNGs inside the page (data: URLs), no script or
// style is fetched. A small inline script records whether every figure loaded, which the test
// reads back from headless Chromium.
#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "usage_error.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/plot/chart.hpp"
#include "posemb/plot/scheme_figures.hpp"
#include "posemb/plot/study_chart.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

namespace pos = positional;

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr plot::Size kFigureSize{860, 520};

template <class Chart>
std::string figure(const Chart& chart, const std::string& caption) {
  const std::string png = plot::render(chart, plot::Format::kPng, kFigureSize);
  return fmt::format("<figure><img class=\"figure\" width=\"{}\" height=\"{}\" alt=\"{}\" src=\"data:image/png;base64,{}\">"
                     "<figcaption>{}</figcaption></figure>\n",
                     kFigureSize.width, kFigureSize.height, escape_html(caption), base64(png), escape_html(caption));
}

pos::RopeParams rope(double theta, std::int64_t head_dim = 128) {
  pos::RopeParams p;
  p.head_dim = p.rotary_dim = head_dim;
  p.theta = theta;
  p.max_position_embeddings = 32768;
  return p;
}

std::string study_section(const std::string& path) {
  if (path.empty())
    return "<p>No study was given. Run <code>posemb study</code> (or <code>posemb study --quick</code>), then "
           "<code>posemb report --study runs/study/study.json</code>.</p>\n";
  const std::string text = io::read_file_bytes(path);  // names a folder or a missing file
  nlohmann::json study;
  try {
    study = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("--study {}: not valid JSON at byte {}", path, e.byte));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    throw Error(fmt::format("--study {}: not valid JSON: {}", path, e.what()));
  }
  const plot::LineChart chart = plot::study_chart(study, path);
  std::string table = "<table><tr><th>scheme</th>";
  for (const double x : chart.series.at(0).x) table += fmt::format("<th>{:g}</th>", x);
  table += "</tr>\n";
  for (const auto& s : chart.series) {
    table += "<tr><td>" + escape_html(s.label) + "</td>";
    for (const double y : s.y) table += std::isfinite(y) ? fmt::format("<td>{:.3f}</td>", y) : "<td>cannot evaluate</td>";
    table += "</tr>\n";
  }
  table += "</table>\n";
  return fmt::format("<p>Each model was trained at length L = {}; held-out perplexity at longer lengths:</p>\n{}{}",
                     study.value("train_length", 0), table,
                     figure(chart, "Perplexity against evaluation length; flat means the scheme extrapolates."));
}

std::string page(const std::string& study_path) {
  const pos::SinusoidalParams sinusoidal{.dim = 64};
  const Tensor table = pos::SinusoidalPositions(sinusoidal).table(64);
  pos::RopeParams llama3 = rope(500000.0);
  llama3.scaling.type = pos::RopeType::kLlama3;
  llama3.scaling.factor = 8.0;
  llama3.scaling.low_freq_factor = 1.0;
  llama3.scaling.high_freq_factor = 4.0;
  llama3.scaling.original_max_position_embeddings = 8192;
  llama3.max_position_embeddings = 131072;
  pos::RopeParams yarn = rope(10000.0);
  yarn.scaling.type = pos::RopeType::kYarn;
  yarn.scaling.factor = 8.0;
  yarn.scaling.original_max_position_embeddings = 4096;

  std::string body;
  body += "<h1>Positional encodings, seen</h1>\n<p>Self-attention has no notion of order: permute the tokens and every "
          "output permutes with them. Positional encodings give it one, in one of three places: added to the input "
          "embeddings, rotating queries and keys, or biasing the attention scores. Every picture below was computed by "
          "posemb's own implementation of the scheme (the numbers are tested against the reference implementations).</p>\n";
  body += "<h2>Added to the input: sinusoidal and learned tables</h2>\n<p>Vaswani et al. add a fixed table: channel pair "
          "i of position p holds sin and cos of p / 10000<sup>2i/d</sup>. Low channels turn fast, high channels slowly: "
          "the stripes below. A learned table (GPT-2's <code>wpe</code>) has one trained row per position and nothing "
          "past its last row.</p>\n";
  body += figure(plot::table_figure(table, "sinusoidal table (interleaved, base 10000)"),
                 "The sinusoidal table: 64 positions x 64 channels.");
  body += "<p>The cosine similarity of two rows depends (almost) only on their distance: the band along the diagonal. "
          "That is what makes a fixed table relative-friendly.</p>\n";
  body += figure(plot::similarity_figure(table, "sinusoidal table", false), "Cosine similarity of sinusoidal positions.");
  body += "<h2>Rotating queries and keys: RoPE</h2>\n<p>RoPE rotates each pair of query and key channels by an angle "
          "proportional to the position, so that q . k depends on the distance only. For a random vector, the expected "
          "score between rotated copies decays (and oscillates) with the distance; a larger base decays more slowly.</p>\n";
  body += figure(plot::rope_decay_figure({{"theta 10000", rope(10000.0)}, {"theta 500000", rope(500000.0)},
                                          {"YaRN x8 (theta 10000)", yarn}},
                                         1024),
                 "Expected score against distance (head dim 128).");
  body += "<p>Context-extension scalings change the wavelengths: linear interpolation stretches all of them, llama3 and "
          "YaRN stretch only the long ones and keep the short ones that encode local order.</p>\n";
  body += figure(plot::rope_frequencies_figure({{"llama3 (llama3)", llama3}, {"yarn (yarn)", yarn}}),
                 "Wavelength of each RoPE pair, scaled and unscaled.");
  body += "<h2>Biasing the scores: ALiBi, T5, Shaw</h2>\n<p>ALiBi adds -m x distance to each score, with one slope m per "
          "head (a geometric sequence): no parameters, and nothing that a longer sequence has not seen.</p>\n";
  body += figure(plot::alibi_figure(8, 24), "ALiBi biases for 8 heads (white: future keys, masked).");
  body += "<p>T5 learns one bias per bucket and head; buckets are exact for short distances and logarithmic up to "
          "<code>max_distance</code>, past which every key shares the last bucket. Shaw et al. learn key and value "
          "vectors per clipped distance (up to k): beyond k, every key looks the same.</p>\n";
  body += figure(plot::t5_bucket_function_figure({1, 32, 128, true}, 200),
                 "T5's bucket function: 32 buckets, max_distance 128.");
  body += figure(plot::t5_figure({1, 32, 128, false}, 48), "T5 causal buckets (32 buckets, max_distance 128).");
  body += "<h2>Who extrapolates: the study</h2>\n" + study_section(study_path);

  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>posemb report</title>\n"
         "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;line-height:1.5;color:#222}"
         "figure{margin:1.5em 0}figcaption{color:#555;font-size:90%}img.figure{max-width:100%;height:auto;"
         "border:1px solid #ddd}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
         "text-align:right}code{background:#f4f4f4}</style>\n"
         // Records, for a test in a headless browser, how many figures loaded and any error.
         "<script>window.addEventListener('error',function(e){document.documentElement.setAttribute('data-errors',"
         "(document.documentElement.getAttribute('data-errors')||'')+e.message+';');});"
         "window.addEventListener('load',function(){var imgs=document.querySelectorAll('img.figure');var ok=0;"
         "imgs.forEach(function(i){if(i.complete&&i.naturalWidth>0)ok++;});"
         "document.documentElement.setAttribute('data-figures',imgs.length);"
         "document.documentElement.setAttribute('data-figures-loaded',ok);});</script>\n"
         "</head><body>\n" +
         body + "</body></html>\n";
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto output = std::make_shared<std::string>();
  auto study = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "report", "One self-contained HTML page (pictures inside, no network) that explains every scheme and the study");
  cmd->add_option("-o,--output", *output, "The page: FILE.html (`-`: standard output)")->required();
  cmd->add_option("--study", *study, "study.json from `posemb study`, for its table and curve");
  cmd->callback([output, study] {
    if (!is_standard_output(*output) && !output->ends_with(".html") && !output->ends_with(".htm"))
      throw UsageError(fmt::format("-o {}: the report is an HTML page: name it FILE.html", *output));
    write_output(page(*study), *output);
  });
}

}  // namespace posemb::cli
