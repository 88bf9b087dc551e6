#ifndef SLUICE_COMMON_MYSQL_MYSQL_POOL_H_
#define SLUICE_COMMON_MYSQL_MYSQL_POOL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "common/mysql/statement_cache.h"

namespace sql {
class Connection;
class SQLException;
}  // namespace sql

namespace sluice {

struct MySqlOptions {
  // One server, or the nodes of a cluster (Galera, a group of replicas
  // behind no proxy) as "host[:port],host[:port],…": connections go to the
  // first node that answers and is ready, starting from the one that last
  // did, so a node that dies or leaves the cluster is passed over.
  std::string host = "127.0.0.1";
  // The port of every host given without one.
  int port = 3306;
  std::string user = "root";
  std::string password;
  // The service's own database; created by EnsureDatabase().
  std::string database;
  int connect_timeout_seconds = 1;
  int read_timeout_seconds = 30;
  // Connections kept open at most.
  int max_connections = 8;
  // Prepared statements cached per connection (PrepareCached), at most this
  // many and with this many parameters in all.
  size_t max_statements = 128;
  size_t max_statement_parameters = 100000;
};

// A bounded pool of MySQL Connector/C++ connections to one database.
//
// Every callback runs with a connection owned by the calling thread for its
// duration. Exceptions from Connector/C++ never leave this class: they become
// a Status (lost or refused connections are UNAVAILABLE and the connection is
// discarded, so the next call reconnects by itself after a server restart).
// Thread-safe.
class MySqlPool {
 public:
  using Fn = std::function<absl::Status(sql::Connection&)>;

  explicit MySqlPool(MySqlOptions options);
  ~MySqlPool();
  MySqlPool(const MySqlPool&) = delete;
  MySqlPool& operator=(const MySqlPool&) = delete;

  // Creates the database when it does not exist.
  absl::Status EnsureDatabase();

  // The caller's deadline: no connection is waited for, no attempt started
  // and no transaction committed after it.
  using Deadline = std::chrono::system_clock::time_point;
  static constexpr Deadline kNoDeadline = Deadline::max();

  // Runs `fn` in one READ COMMITTED transaction and commits when it returns
  // OK; rolls back otherwise. Deadlocks and lock wait timeouts (1213, 1205)
  // are retried with backoff, so `fn` must be safe to run again; when the
  // retries run out the answer is UNAVAILABLE (busy, come back). Past
  // `deadline` nothing is committed: UNAVAILABLE, rolled back.
  absl::Status Transaction(const Fn& fn, Deadline deadline = kNoDeadline);

  // Runs `fn` in autocommit mode (DDL, single reads).
  absl::Status Run(const Fn& fn, Deadline deadline = kNoDeadline);

  // Checks that the server answers.
  absl::Status Ping();

  // Runs `fn` in autocommit mode while holding the lease `name`: a row of
  // this database's sluice_leases table, so it holds across every node of a
  // cluster (GET_LOCK locks one node only). The lease is renewed every
  // `lease` / 4 while `fn` runs and runs out `lease` after its last
  // renewal, so a holder that died stops blocking others. Waits up to
  // `wait` for the lease; UNAVAILABLE after that.
  static constexpr std::chrono::seconds kLease{60};
  absl::Status RunExclusive(std::string_view name, std::chrono::seconds wait,
                            const Fn& fn, std::chrono::seconds lease = kLease);

  // Applies the migrations of `component` not applied yet, in order, under a
  // lease (RunExclusive) so replicas starting together apply each once.
  // versions[i] holds the statements that bring the schema to version i + 1;
  // statements must be idempotent (CREATE TABLE IF NOT EXISTS, …).
  absl::Status Migrate(std::string_view component,
                       const std::vector<std::vector<std::string>>& versions);

  const MySqlOptions& options() const { return options_; }

  // The prepared-statement cache of the connection the calling thread holds
  // inside a Transaction or Run callback; null outside one. A connection's
  // statements are closed before it is.
  static StatementCache* Statements();

 private:
  struct Lease;
  absl::Status WithConnection(bool transaction, const Fn& fn,
                              Deadline deadline);
  std::unique_ptr<sql::Connection> Connect(bool with_schema);
  std::unique_ptr<sql::Connection> ConnectTo(size_t endpoint,
                                             bool with_schema);

  const MySqlOptions options_;
  // The hosts of options_.host and the one connected to last.
  std::vector<std::pair<std::string, int>> endpoints_;
  std::atomic<size_t> preferred_{0};
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<sql::Connection>> idle_;
  int open_ = 0;
  // Per open connection; after idle_, so that statements go first.
  std::unordered_map<sql::Connection*, std::unique_ptr<StatementCache>>
      statements_;
};

// The Status for a Connector/C++ exception: UNAVAILABLE for connection
// failures and for a server that refuses work for now (too many
// connections, read-only after a failover, a cluster node not ready),
// ABORTED for deadlocks, ALREADY_EXISTS for duplicates, INTERNAL otherwise.
// The message names the server error code, never the server's text.
absl::Status StatusFromSqlException(const sql::SQLException& e);

// True for client errors meaning the connection is gone (2002, 2003, 2006,
// 2013, 2055, …).
bool IsConnectionError(int mysql_error_code);

// True for server errors after which the connection should not be reused:
// the server refuses work on it for now (1040, 1203, 1290, 1836, 1047), so a
// new connection (perhaps to a new primary) is the way back.
bool IsServerRefusal(int mysql_error_code);

// Quotes an identifier with backticks. Identifiers are sanitized before they
// reach SQL; quoting is the second line of defence.
std::string QuoteIdentifier(std::string_view name);

}  // namespace sluice

#endif  // SLUICE_COMMON_MYSQL_MYSQL_POOL_H_
