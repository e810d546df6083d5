"""Reading input files (CSV, XLSX, Parquet) and validating them against canonical datasets; reading
benchmark files and building the state benchmarks from the shipped reference data (:mod:`.benchmarks`)."""
