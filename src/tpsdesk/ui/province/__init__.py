"""The province desk: the district desk one level up (its senders are districts)."""
