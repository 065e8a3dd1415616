"""Read side for the committee: named statistics queries and the .xlsx export."""
