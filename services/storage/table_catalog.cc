#include "services/storage/table_catalog.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mapping/table_generator.h"
#include "common/mysql/mysql_pool.h"
#include "common/status/error_code.h"
#include "common/status/status_macros.h"

namespace sluice {
namespace {

// Text compares byte for byte, trailing spaces included.
constexpr char kDataCollation[] = "utf8mb4_nopad_bin";

bool IsSampleDdlError(int code) {
  switch (code) {
    case 1050:  // table exists
    case 1059:  // identifier too long
    case 1060:  // duplicate column
    case 1071:  // key too long
    case 1074:  // column too long
    case 1117:  // too many columns / definition too large
    case 1118:  // row too large
    case 1166:  // bad column name
      return true;
    default:
      return false;
  }
}

// The answer to a CREATE TABLE the server refused because of what the sample
// made, in words a user can act on (never the server's own text).
absl::Status DdlError(const v1::Table& table, int code) {
  if (code == 1050) {
    return WithErrorCode(absl::AlreadyExistsError(absl::StrCat(
                             "table \"", table.name(), "\" already exists")),
                         "table_exists");
  }
  std::string reason;
  switch (code) {
    case 1118:
      reason = "its rows would be larger than the database allows";
      break;
    case 1117:
      reason = "it has more columns, or longer names, than the database allows";
      break;
    case 1071:
    case 1074:
      reason = "its primary key or a column is longer than the database allows";
      break;
    default:
      reason = "a column name is not one the database accepts";
  }
  return InvalidArgumentError(
      "invalid_sample", absl::StrCat("the sample's table \"", table.name(),
                                     "\" cannot be created: ", reason));
}

}  // namespace

TableCatalog::TableCatalog(MySqlPool* pool, std::string data_database)
    : pool_(pool), data_database_(std::move(data_database)) {}

std::vector<std::string> TableCatalog::Migration() {
  return {
      "CREATE TABLE IF NOT EXISTS listener_tables ("
      " listener_uuid CHAR(36) NOT NULL PRIMARY KEY,"
      " tables LONGBLOB NOT NULL,"
      " updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
      ") ENGINE=InnoDB",
  };
}

absl::Status TableCatalog::EnsureDataDatabase() {
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    const std::string db = QuoteIdentifier(data_database_);
    st->execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS ", db,
                             " CHARACTER SET utf8mb4 COLLATE ",
                             kDataCollation));
    st->execute(absl::StrCat("ALTER DATABASE ", db,
                             " CHARACTER SET utf8mb4 COLLATE ",
                             kDataCollation));
    return absl::OkStatus();
  }));
  // Tables made by earlier versions compared text with PAD SPACE ('a' and
  // 'a ' were one key): move their text columns to the exact collation,
  // once, by one replica at a time (others find nothing left to do).
  return pool_->RunExclusive("data_collation", std::chrono::seconds(300),
                             [&](sql::Connection& con) {
                               MigrateToExactCollation(con);
                               return absl::OkStatus();
                             });
}

void TableCatalog::MigrateToExactCollation(sql::Connection& con) {
  std::unique_ptr<sql::Statement> st(con.createStatement());
  std::unique_ptr<sql::PreparedStatement> q(con.prepareStatement(
      "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM "
      "information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND "
      "COLLATION_NAME = 'utf8mb4_bin' AND DATA_TYPE IN ('varchar', 'text') "
      "ORDER BY TABLE_NAME, ORDINAL_POSITION"));
  q->setString(1, data_database_);
  std::unique_ptr<sql::ResultSet> rs(q->executeQuery());
  std::map<std::string, std::vector<std::string>> changes;
  while (rs->next()) {
    changes[rs->getString(1).asStdString()].push_back(absl::StrCat(
        "MODIFY ", QuoteIdentifier(rs->getString(2).asStdString()), " ",
        rs->getString(3).asStdString(), " CHARACTER SET utf8mb4 COLLATE ",
        kDataCollation,
        rs->getString(4).asStdString() == "YES" ? " NULL" : " NOT NULL"));
  }
  for (const auto& [table, modify] : changes) {
    st->execute(absl::StrCat("ALTER TABLE ", Qualified(table), " ",
                             absl::StrJoin(modify, ", ")));
  }
}

std::string TableCatalog::Qualified(const std::string& table) const {
  return absl::StrCat(QuoteIdentifier(data_database_), ".",
                      QuoteIdentifier(table));
}

void TableCatalog::Forget(const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  cache_.erase(listener_uuid);
}

std::shared_ptr<const ListenerTables> TableCatalog::Cached(
    const std::string& listener_uuid) {
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(listener_uuid);
  return it == cache_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<const ListenerTables>> TableCatalog::Tables(
    const std::string& listener_uuid) {
  if (auto cached = Cached(listener_uuid)) return cached;
  v1::DataStructure stored;
  bool found = false;
  SLUICE_RETURN_IF_ERROR(pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::PreparedStatement> st(con.prepareStatement(
        "SELECT tables FROM listener_tables WHERE listener_uuid = ?"));
    st->setString(1, listener_uuid);
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery());
    if (rs->next()) {
      found = true;
      if (!stored.ParseFromString(rs->getString(1).asStdString())) {
        return absl::DataLossError("stored table definitions do not parse");
      }
    }
    return absl::OkStatus();
  }));
  if (!found || stored.tables_size() == 0) {
    return absl::NotFoundError("the listener has no tables");
  }
  auto tables = std::make_shared<ListenerTables>();
  tables->tables.assign(stored.tables().begin(), stored.tables().end());
  tables->columns.resize(tables->tables.size());
  for (size_t t = 0; t < tables->tables.size(); ++t) {
    tables->index[tables->tables[t].name()] = static_cast<int>(t);
    for (int c = 0; c < tables->tables[t].columns_size(); ++c) {
      tables->columns[t][tables->tables[t].columns(c).name()] = c;
      if (t == 0 && tables->tables[0].columns(c).primary_key())
        tables->key_columns.push_back(c);
      if (t == 0 &&
          tables->tables[0].columns(c).source() == v1::COLUMN_SOURCE_EXTRA) {
        tables->extra_column = c;
      }
    }
  }
  absl::MutexLock lock(&mu_);
  cache_[listener_uuid] = tables;
  return std::shared_ptr<const ListenerTables>(tables);
}

absl::StatusOr<std::vector<std::string>> TableCatalog::CreateTables(
    const std::string& listener_uuid, const std::vector<v1::Table>& tables) {
  if (tables.empty()) return absl::InvalidArgumentError("no tables to create");
  std::vector<std::string> ddl;
  std::vector<std::string> created;
  absl::Status status = pool_->Run([&](sql::Connection& con) -> absl::Status {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    for (const v1::Table& table : tables) {
      std::string statement = mapping::RenderCreateTable(table, data_database_);
      try {
        st->execute(statement);
      } catch (const sql::SQLException& e) {
        // Refusals the sample caused are the client's to fix; anything else
        // (locks, a read-only server, permissions) is ours.
        if (!IsSampleDdlError(e.getErrorCode())) throw;
        return DdlError(table, e.getErrorCode());
      }
      created.push_back(table.name());
      ddl.push_back(statement);
    }
    v1::DataStructure stored;
    for (const v1::Table& table : tables) *stored.add_tables() = table;
    std::string blob = stored.SerializeAsString();
    std::istringstream in(blob);
    std::unique_ptr<sql::PreparedStatement> put(con.prepareStatement(
        "INSERT INTO listener_tables (listener_uuid, tables) VALUES (?, ?)"));
    put->setString(1, listener_uuid);
    put->setBlob(2, &in);
    put->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    // Leave nothing behind.
    (void)pool_->Run([&](sql::Connection& con) {
      std::unique_ptr<sql::Statement> st(con.createStatement());
      for (auto it = created.rbegin(); it != created.rend(); ++it) {
        st->execute(absl::StrCat("DROP TABLE IF EXISTS ", Qualified(*it)));
      }
      return absl::OkStatus();
    });
    return status;
  }
  Forget(listener_uuid);
  return ddl;
}

absl::Status TableCatalog::DropTables(const std::string& listener_uuid) {
  auto tables = Tables(listener_uuid);
  if (!tables.ok() && tables.status().code() != absl::StatusCode::kNotFound)
    return tables.status();
  absl::Status status = pool_->Run([&](sql::Connection& con) {
    std::unique_ptr<sql::Statement> st(con.createStatement());
    if (tables.ok()) {
      for (auto it = (*tables)->tables.rbegin(); it != (*tables)->tables.rend();
           ++it) {
        st->execute(
            absl::StrCat("DROP TABLE IF EXISTS ", Qualified(it->name())));
      }
    }
    std::unique_ptr<sql::PreparedStatement> del(con.prepareStatement(
        "DELETE FROM listener_tables WHERE listener_uuid = ?"));
    del->setString(1, listener_uuid);
    del->executeUpdate();
    return absl::OkStatus();
  });
  Forget(listener_uuid);
  return status;
}

}  // namespace sluice
