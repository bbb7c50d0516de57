SET search_path TO nowhere;
