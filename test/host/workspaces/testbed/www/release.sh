# The release task of this fixture (a stand-in for migrations): the tests make it fail by
# changing this line to "exit 3" and building a new version.
echo "release: nothing to migrate"
