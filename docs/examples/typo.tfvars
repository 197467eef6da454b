enable_hA = true
