"""wopi"""
