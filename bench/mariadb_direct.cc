// The mariadbDirect ceiling of `make bench`: what MariaDB alone absorbs of
// the benchmark's rows. One client writes the benchmark record (a root row
// plus 3 child rows) as an upsert — child rows deleted by key, root rows
// inserted or updated, child rows inserted — with multi-row INSERTs
// prepared once, 64 records per durable transaction, into tables generated
// from the same sample. Only the time spent in MariaDB counts. Prints
// `recordsPerS=N records=N`.
//
//   mariadb_direct PORT SECONDS
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/mapping/record_mapper.h"
#include "common/mapping/table_generator.h"
#include "common/mysql/mysql_pool.h"
#include "services/storage/sql_values.h"

namespace {

constexpr int kPerTransaction = 64;
constexpr const char* kDatabase = "sluice_bench_direct";

// One table's statements for a transaction's rows.
struct TableWriter {
  const sluice::v1::Table* table = nullptr;
  std::vector<int> bound;  // columns given as parameters
  std::unique_ptr<sql::PreparedStatement> insert, remove;
  int rows_per_transaction = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mariadb_direct PORT SECONDS\n");
    return 2;
  }
  std::ifstream in(SLUICE_BENCH_RECORD);
  std::string record((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  sluice::v1::DataStructure structure;
  structure.set_base_name("direct");
  structure.set_sample_json(record);
  structure.add_primary_key("id");
  if (!sluice::mapping::GenerateTables(&structure).ok()) return 1;
  auto mapper = *sluice::mapping::RecordMapper::Create(structure);
  const std::string id_field = "\"id\":1,";
  int64_t next_id = 1;
  auto make_rows = [&] {
    std::vector<sluice::v1::Record> records;
    for (int i = 0; i < kPerTransaction; ++i) {
      auto mapped = mapper->Map(
          absl::StrReplaceAll(record,
                              {{id_field, absl::StrCat("\"id\":", next_id++, ",")}}),
          false);
      records.push_back(std::move((*mapped)[0]));
    }
    return records;
  };
  auto sample = make_rows();

  sluice::MySqlOptions options;
  options.port = std::atoi(argv[1]);
  options.database = kDatabase;
  options.max_connections = 1;
  sluice::MySqlPool pool(options);
  if (!pool.EnsureDatabase().ok()) {
    std::fprintf(stderr, "cannot reach MariaDB on port %s\n", argv[1]);
    return 1;
  }
  int64_t written = 0;
  std::chrono::steady_clock::duration busy{};
  const auto seconds = std::chrono::seconds(std::atoi(argv[2]));
  absl::Status status = pool.Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    std::vector<TableWriter> writers(structure.tables_size());
    for (int t = structure.tables_size() - 1; t >= 0; --t) {
      const sluice::v1::Table& table = structure.tables(t);
      st->execute("DROP TABLE IF EXISTS " + sluice::QuoteIdentifier(table.name()));
    }
    for (int t = 0; t < structure.tables_size(); ++t) {
      const sluice::v1::Table& table = structure.tables(t);
      st->execute(sluice::mapping::RenderCreateTable(table));
      TableWriter& w = writers[t];
      w.table = &table;
      for (const auto& tr : sample[0].tables()) {
        if (tr.table() == table.name())
          w.rows_per_transaction += tr.rows_size() * kPerTransaction;
      }
      std::vector<std::string> names, values, updates, keys;
      for (int c = 0; c < table.columns_size(); ++c) {
        const sluice::v1::Column& column = table.columns(c);
        std::string name = sluice::QuoteIdentifier(column.name());
        names.push_back(name);
        if (column.source() == sluice::v1::COLUMN_SOURCE_LAST_MODIFIED) {
          values.push_back("UTC_TIMESTAMP(6)");
        } else {
          values.push_back("?");
          w.bound.push_back(c);
        }
        if (!column.primary_key())
          updates.push_back(absl::StrCat(name, " = VALUES(", name, ")"));
        if (column.source() == sluice::v1::COLUMN_SOURCE_ROOT_KEY) keys.push_back(name);
      }
      std::string tuple = absl::StrCat("(", absl::StrJoin(values, ","), ")");
      std::vector<std::string> tuples(w.rows_per_transaction, tuple);
      std::string insert = absl::StrCat(
          "INSERT INTO ", sluice::QuoteIdentifier(table.name()), " (",
          absl::StrJoin(names, ","), ") VALUES ", absl::StrJoin(tuples, ","));
      if (t == 0) absl::StrAppend(&insert, " ON DUPLICATE KEY UPDATE ",
                                  absl::StrJoin(updates, ","));
      w.insert.reset(con.prepareStatement(insert));
      if (t > 0 && keys.size() == 1) {
        std::vector<std::string> marks(kPerTransaction, "?");
        w.remove.reset(con.prepareStatement(absl::StrCat(
            "DELETE FROM ", sluice::QuoteIdentifier(table.name()), " WHERE ",
            keys[0], " IN (", absl::StrJoin(marks, ","), ")")));
      }
    }
    next_id = 1;
    while (busy < seconds) {
      auto records = make_rows();
      auto begin = std::chrono::steady_clock::now();
      st->execute("START TRANSACTION");
      for (size_t t = writers.size(); t-- > 1;) {
        if (!writers[t].remove) continue;
        for (int r = 0; r < kPerTransaction; ++r)
          sluice::BindValue(writers[t].remove.get(), r + 1, records[r].key(0));
        writers[t].remove->executeUpdate();
      }
      for (TableWriter& w : writers) {
        int index = 1;
        for (const auto& rec : records) {
          for (const auto& tr : rec.tables()) {
            if (tr.table() != w.table->name()) continue;
            for (const auto& row : tr.rows())
              for (int c : w.bound)
                sluice::BindValue(w.insert.get(), index++, row.values(c));
          }
        }
        w.insert->executeUpdate();
      }
      st->execute("COMMIT");
      busy += std::chrono::steady_clock::now() - begin;
      written += kPerTransaction;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
    return 1;
  }
  std::printf("recordsPerS=%.0f records=%lld\n",
              written / std::chrono::duration<double>(busy).count(),
              static_cast<long long>(written));
  return 0;
}
