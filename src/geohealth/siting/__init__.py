"""Choosing sites: location–allocation (MCLP, LSCP, p-median) on network travel times."""
