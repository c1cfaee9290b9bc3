"""A FastAPI service that enrolls leads into Close sequences with close-sequences."""
