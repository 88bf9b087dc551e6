// Throughput of the JSON-to-rows mapping alone (RecordMapper::Map) on the
// benchmark record of DESIGN §9: ~1 KiB with a nested object and a 3-item
// child array, and of the same mapping behind a transform script
// (`mapping_bench N script`: a trivial one, `return record`, so the figure
// is the cost of running any script: JSON into Lua and back). Prints
// records/s and µs per record; not part of `make test`.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "common/script/transform_script.h"

// bench/record.json, the record every benchmark sends.
std::string ReadRecord() {
  std::ifstream in(SLUICE_BENCH_RECORD);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

int main(int argc, char** argv) {
  const std::string record = ReadRecord();
  sluice::v1::DataStructure s;
  s.set_base_name("bench");
  s.set_sample_json(record);
  s.add_primary_key("id");
  if (!sluice::mapping::GenerateTables(&s).ok()) return 1;
  auto mapper = *sluice::mapping::RecordMapper::Create(s);
  const int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  const bool scripted = argc > 2 && std::string(argv[2]) == "script";
  const std::string script = "function transform(record, ctx) return record end";
  sluice::script::Context context;
  context.scope = context.listener = "bench";
  context.method = "POST";
  context.received = "2024-03-01T12:00:00Z";
  size_t rows = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) {
    std::string transformed;
    if (scripted) {
      auto out = sluice::script::Transform(script, record, {}, context);
      if (!out.ok()) return 1;
      transformed = *std::move(out);
    }
    auto records = scripted ? mapper->Map(transformed, false, false)
                            : mapper->Map(record, false);
    if (!records.ok()) return 1;
    for (const auto& t : (*records)[0].tables()) rows += t.rows_size();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::printf(
      "%s: record %zu bytes, %zu rows per record; %d records in %.3f s: %.0f "
      "records/s, %.2f us per record, %.1f MB/s\n",
      scripted ? "mapping behind a trivial script" : "mapping", record.size(),
      rows / n, n, seconds, n / seconds, seconds / n * 1e6,
      n * record.size() / seconds / 1e6);
  return 0;
}
