"""Reading input files (CSV, XLSX, Parquet) and validating them against canonical datasets."""
