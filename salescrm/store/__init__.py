"""The store layer: where the database is, connections and transactions, tables and migrations."""
