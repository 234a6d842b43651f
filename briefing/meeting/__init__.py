"""meeting: reading and validating meeting files, their CSV data and follows chains."""
