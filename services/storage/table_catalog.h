#ifndef SLUICE_SERVICES_STORAGE_TABLE_CATALOG_H_
#define SLUICE_SERVICES_STORAGE_TABLE_CATALOG_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sluice/v1/storage.pb.h"

namespace sql {
class Connection;
}

namespace sluice {

class MySqlPool;

// A listener's tables as storage knows them, with name lookups.
struct ListenerTables {
  std::vector<v1::Table> tables;  // tables[0] is the root
  std::map<std::string, int> index;
  std::vector<std::map<std::string, int>> columns;  // per table: name → column
  std::vector<int> key_columns;                     // root primary-key columns
  int extra_column = -1;  // the root's `_extra` column, -1 when it has none
};

// Which listener owns which data tables: creates and drops them, and keeps
// their definitions cached so that no write or read queries the catalog.
//
// Data tables live in their own database (`data_database`); the catalog
// table `listener_tables`, in the pool's database. Thread-safe.
class TableCatalog {
 public:
  TableCatalog(MySqlPool* pool, std::string data_database);
  TableCatalog(const TableCatalog&) = delete;
  TableCatalog& operator=(const TableCatalog&) = delete;

  static std::vector<std::string> Migration();
  // Creates the data database when missing, and moves the text columns of
  // tables made by earlier versions to the exact (NO PAD) collation.
  absl::Status EnsureDataDatabase();

  // ALREADY_EXISTS naming the table when one is taken; nothing is left
  // behind on failure. Returns the DDL run.
  absl::StatusOr<std::vector<std::string>> CreateTables(
      const std::string& listener_uuid, const std::vector<v1::Table>& tables);
  absl::Status DropTables(const std::string& listener_uuid);

  // The cached tables of a listener; NOT_FOUND when it has none.
  absl::StatusOr<std::shared_ptr<const ListenerTables>> Tables(
      const std::string& listener_uuid);
  // The cached tables, or null when they are not cached (never blocks on
  // the database).
  std::shared_ptr<const ListenerTables> Cached(const std::string& listener_uuid);
  // Drops the cached definitions (after a write found the tables gone).
  void Forget(const std::string& listener_uuid);

  // `data_database`.`table`, quoted.
  std::string Qualified(const std::string& table) const;

 private:
  // ALTERs the text columns of data tables still on utf8mb4_bin.
  void MigrateToExactCollation(sql::Connection& con);

  MySqlPool* pool_;
  const std::string data_database_;
  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const ListenerTables>> cache_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace sluice

#endif  // SLUICE_SERVICES_STORAGE_TABLE_CATALOG_H_
