"""`salescrm import`: records read from a team's files (HubSpot exports, spreadsheets, salescrm's own
exports) through the same rules as the commands.

- `reading.py`: the file as rows, streamed: CSV (any delimiter, UTF-8 with or without a BOM, or UTF-16),
  JSON arrays, JSON lines and `.xlsx` workbooks;
- `mapping.py`: which column is which field (salescrm's export headers and HubSpot's, ignoring case,
  spacing and punctuation), the columns that map to nothing, the derived ones, the one `'` an export put
  before a formula-like cell;
- `values.py`: dates, amounts and stages as a file writes them;
- `rows.py`: one row, checked and written by the domain's own functions (companies; contacts in
  `contact_rows.py`, deals in `deal_rows.py`, activities and tasks in `activity_rows.py`);
- `bulk.py`: the rows a chunk at a time, what they name looked up together, plain new records written together;
- `matching.py`: the record a row stands for, so that a second import updates instead of duplicating;
- `rejected.py`: the rejected rows, in the input's format with a `reason` column;
- `batches.py`: each import as a batch (`import list`, `import undo`).
"""
